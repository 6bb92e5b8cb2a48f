"""The run history: every run in the runs folder, with its best quality figure, read off the
GUI thread (folder_io.py); comparing, renaming and deleting runs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.runs.folder import Run, RunError, RunSummary
from models.runs.notes import RunDetails
from studio.reveal import reveal
from studio.runs.compare import CompareDialog
from studio.runs.folder_io import RunsFolderIO
from studio.runs.follower import RunFollower, steps_per_epoch
from studio.runs.listing import (
    Listing,
    describe_best,
    quality_text,
    quality_tip,
    state_text,
)
from studio.runs.notes_dialog import NotesDialog

__all__ = ["COLUMNS", "RunFollower", "RunsPanel", "steps_per_epoch"]

COLUMNS = ("Run", "Kind", "Dataset", "Parent", "Steps", "Best", "Quality", "Status", "Note")
REFRESH_MS = 3000  # runs started from the command line appear without a click


class RunsPanel(QWidget):
    open_requested = Signal(str)
    overlay_requested = Signal(str)
    resume_requested = Signal(str)
    fork_requested = Signal(str)
    deleted = Signal(str)
    listed = Signal()  # a run appeared in the runs folder or left it: other run lists follow

    def __init__(self, runs_dir: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs_dir = Path(runs_dir)
        self.active_path: str | None = None  # the run this window is training: not deletable
        self.summaries: list[RunSummary] = []
        self.listing: Listing = []
        self.dialog = None  # the notes, comparison or path dialog open now
        self.io = RunsFolderIO(self)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # The best metric's name ("test_d_accuracy 0.53") is the column people read; never cut it.
        for column in ("Best", "Quality"):
            self.tree.header().setSectionResizeMode(
                COLUMNS.index(column), QHeaderView.ResizeMode.ResizeToContents
            )
        self.tree.headerItem().setToolTip(
            COLUMNS.index("Quality"),
            "The lowest FID the quality monitor measured, and at which step (lower is better)",
        )
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = {}
        row = QHBoxLayout()
        for key, text, tip in (
            ("open", "Open", "Show its curves and grids (follows a run still training)"),
            ("overlay", "Overlay", "Add its curves to the plot to compare runs"),
            (
                "resume",
                "Resume",
                "Continue from its last checkpoint (a finished run: for the "
                "epochs set in the Train panel)",
            ),
            ("fork", "Fork...", "A new run that starts from its weights, with changed settings"),
            ("notes", "Rename...", "Give the run a name of your own and a note"),
            (
                "compare",
                "Compare...",
                "The settings and quality figures of the selected runs side by side",
            ),
            (
                "export",
                "Export...",
                "Write its model as an ONNX or TorchScript file for another program",
            ),
            ("delete", "Delete", "Delete the run folder"),
            ("reveal", "Reveal", "Show the run folder in the file manager"),
            ("refresh", "Refresh", "Read the runs folder again"),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)

        self.buttons["open"].clicked.connect(lambda: self._emit(self.open_requested))
        self.buttons["overlay"].clicked.connect(self._overlay)
        self.buttons["resume"].clicked.connect(lambda: self._emit(self.resume_requested))
        self.buttons["fork"].clicked.connect(lambda: self._emit(self.fork_requested))
        self.buttons["delete"].clicked.connect(self.delete_selected)
        self.buttons["reveal"].clicked.connect(self.reveal_selected)
        self.buttons["refresh"].clicked.connect(self.refresh)
        self.buttons["notes"].clicked.connect(self.edit_notes)
        self.buttons["compare"].clicked.connect(self.compare_selected)
        self.buttons["export"].clicked.connect(self.export_selected)
        self.tree.itemDoubleClicked.connect(lambda *_: self._emit(self.open_requested))
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.io.listing_read.connect(self._listing_read)
        self.io.notes_saved.connect(self._notes_saved)
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        self.set_runs_dir(self.runs_dir)

    def set_runs_dir(self, path: str | Path) -> None:
        self.runs_dir = Path(path)
        self.folder_label.setText(f"Runs folder: {self.runs_dir}")
        self.refresh()

    def set_active(self, path: str | None) -> None:
        self.active_path = str(path) if path else None
        self.refresh()

    def refresh(self) -> None:
        """Read the runs folder on a short-lived thread; the table follows when it is read."""
        self.io.read(self.runs_dir)

    def poll(self) -> None:
        """What the timer does every few seconds: the same read (one at a time)."""
        self.refresh()

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until the reads and saves asked for are done and shown (scripts and tests)."""
        return self.io.settle(timeout)

    def shutdown(self) -> None:
        self.timer.stop()
        self.io.wait()

    def _listing_read(self, folder: str, listing: Listing) -> None:
        if folder == str(self.runs_dir):  # not a folder left since
            self._show(listing)

    def _show(self, listing: Listing) -> None:
        selected = set(self.selected_paths())
        summaries = [entry.summary for entry in listing]
        if listing == self.listing and self.tree.topLevelItemCount() == len(listing):
            return  # nothing changed: do not disturb the selection or the scroll position
        paths_changed = {r.path for r in summaries} != {r.path for r in self.summaries}
        self.summaries, self.listing = summaries, listing
        labels = {s.name: d.notes.label for s, d, _ in listing if d.notes.label}
        self.tree.clear()
        for summary, details, quality in listing:  # list_runs gives newest first
            steps = (
                f"{summary.step}/{summary.total_steps}"
                if summary.total_steps
                else str(summary.step)
            )
            parent = labels.get(details.parent, details.parent) or ""
            note = details.notes.note
            first_line = note.splitlines()[0] if note else ""
            item = QTreeWidgetItem([details.notes.label or summary.name, summary.kind,
                                    summary.dataset, parent, steps, describe_best(summary),
                                    quality_text(quality), state_text(summary),
                                    first_line])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, str(summary.path))
            item.setToolTip(0, f"{summary.name}\n{summary.path}" + (f"\n\n{note}" if note else ""))
            if details.parent:
                item.setToolTip(3, f"Forked from {details.parent}")
            item.setToolTip(COLUMNS.index("Note"), note)
            item.setToolTip(COLUMNS.index("Status"), state_text(summary))
            item.setToolTip(COLUMNS.index("Quality"), quality_tip(quality))
            self.tree.addTopLevelItem(item)
            item.setSelected(str(summary.path) in selected)
        self._update_buttons()
        if paths_changed:
            self.listed.emit()

    def selected_paths(self) -> list[str]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.tree.selectedItems()]

    def select(self, path: str | Path) -> None:
        self.tree.clearSelection()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == str(path):
                item.setSelected(True)
                self.tree.setCurrentItem(item)

    def _update_buttons(self) -> None:
        count = len(self.selected_paths())
        for key in ("open", "resume", "fork", "reveal", "notes", "export"):
            self.buttons[key].setEnabled(count == 1)
        self.buttons["compare"].setEnabled(count >= 2)
        self.buttons["overlay"].setEnabled(count >= 1)
        self.buttons["delete"].setEnabled(count >= 1)

    def _emit(self, signal) -> None:
        paths = self.selected_paths()
        if len(paths) == 1:
            signal.emit(paths[0])

    def _overlay(self) -> None:
        for path in self.selected_paths():
            self.overlay_requested.emit(path)

    def delete_selected(self) -> None:
        paths = [p for p in self.selected_paths() if p != self.active_path]
        if not paths:
            return
        names = "\n".join(Path(p).name for p in paths)
        answer = QMessageBox.question(
            self, "Delete runs", f"Delete these runs and all their files?\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        for path in paths:
            try:
                Run(Path(path)).delete()
            except (RunError, OSError) as exc:
                QMessageBox.warning(self, "Delete runs", str(exc))
                continue
            self._drop_row(path)  # at once: the folder's next read comes a moment later
            self.deleted.emit(path)
        self.refresh()

    def _drop_row(self, path: str) -> None:
        self.listing = [entry for entry in self.listing if str(entry.summary.path) != path]
        self.summaries = [entry.summary for entry in self.listing]
        for i in reversed(range(self.tree.topLevelItemCount())):
            if self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == path:
                self.tree.takeTopLevelItem(i)
        self._update_buttons()

    def reveal_selected(self) -> None:
        for path in self.selected_paths()[:1]:
            dialog = reveal(self, path)
            if dialog is not None:
                self._show_dialog(dialog)

    def _show_dialog(self, dialog) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.show()

    def entry_of(self, path: str):
        return next((entry for entry in self.listing if str(entry.summary.path) == path), None)

    def details_of(self, path: str) -> RunDetails | None:
        entry = self.entry_of(path)
        return entry.details if entry is not None else None

    def edit_notes(self) -> None:
        paths = self.selected_paths()
        if len(paths) != 1:
            return
        path = paths[0]
        details = self.details_of(path)
        dialog = NotesDialog(self, Path(path).name, details.notes if details else None)
        dialog.accepted.connect(lambda: self.io.save_notes(path, dialog.label(), dialog.note()))
        self._show_dialog(dialog)

    def _notes_saved(self, path: str, error: str) -> None:
        if error:
            QMessageBox.warning(self, "Rename run", f"Could not save the note: {error}")
            return
        self.refresh()

    def export_selected(self) -> None:
        from studio.runs.export_dialog import ExportDialog

        paths = self.selected_paths()
        if len(paths) == 1:
            self._show_dialog(ExportDialog(self, paths[0]))

    def compare_selected(self) -> None:
        paths = self.selected_paths()
        if len(paths) >= 2:
            entries = {p: self.entry_of(p) for p in paths}
            labels = {p: e.details.notes.label for p, e in entries.items() if e is not None}
            # The quality figures as last read off the GUI thread (the dialog reads no metrics).
            quality = {p: e.quality for p, e in entries.items() if e is not None}
            self._show_dialog(CompareDialog(self, paths, labels, quality))
