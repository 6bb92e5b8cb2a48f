"""Show a folder in the file manager, and where there is none (a server, a minimal desktop,
a container: QDesktopServices.openUrl returns False) show its path, ready to copy."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)


class PathDialog(QDialog):
    """Says no file manager opened the path, shows it, and offers to copy it."""

    def __init__(self, parent, what: str, path: str):
        super().__init__(parent)
        self.setWindowTitle(f"Where {what} is")
        self.path = QLineEdit(path)
        self.path.setReadOnly(True)
        characters = min(max(len(path), 30), 80)
        self.path.setMinimumWidth(characters * self.fontMetrics().averageCharWidth())
        self.copy_button = QPushButton("&Copy path")
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        message = QLabel(f"No file manager could open {what} here. Its path:")
        message.setWordWrap(True)
        layout.addWidget(message)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.path.selectAll()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.path.text())
        self.copy_button.setText("Copied")


def reveal(parent, path: str, what: str = "the run folder") -> PathDialog | None:
    """Open `path` in the file manager; if that fails, return the (shown) path dialog."""
    if QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
        return None
    dialog = PathDialog(parent, what, path)
    dialog.show()  # not modal: the path stays visible while a person pastes it elsewhere
    return dialog
