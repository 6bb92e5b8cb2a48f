"""Rename a run and keep a note on it: a label shown in the run history instead of the folder's
name, and free text (what was tried, why it was stopped). Saved by models/runs/notes.py."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from models.runs.notes import MAX_LABEL, RunNotes


class NotesDialog(QDialog):
    def __init__(self, parent, folder_name: str, notes: RunNotes | None):
        super().__init__(parent)
        notes = notes or RunNotes()
        self.setWindowTitle(f"Rename {folder_name}")
        self.label_edit = QLineEdit(notes.label)
        self.label_edit.setMaxLength(MAX_LABEL)
        self.label_edit.setPlaceholderText(folder_name)
        self.label_edit.setToolTip("Shown in the run history; the folder keeps its name")
        self.note_edit = QPlainTextEdit(notes.note)
        self.note_edit.setPlaceholderText("What this run tried, what came of it")
        form = QFormLayout()
        form.addRow("Name", self.label_edit)
        form.addRow("Note", self.note_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(420, 260)

    def label(self) -> str:
        return self.label_edit.text()

    def note(self) -> str:
        return self.note_edit.toPlainText()
