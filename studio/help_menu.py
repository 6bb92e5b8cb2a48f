"""The Help menu: every keyboard shortcut (read from the window's actions, so the list cannot
go stale), the README, and About with the versions and the device."""

from __future__ import annotations

import html
import sys
import threading
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Qt, QUrl, Signal, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from studio.reveal import PathDialog
from studio.status_bar import DEVICE_NAMES

README = Path(__file__).resolve().parents[1] / "README.md"
PROJECT_URL = "https://pypi.org/project/image-studio/"  # where the README is, when not beside us


def plain(text: str) -> str:
    """A menu text as a person reads it: no mnemonic ampersands, no trailing dots."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").removesuffix("...")


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(what, keys) for every action of the window that has a key, in menu order."""
    rows, seen = [], set()
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if not keys or not action.text() or id(action) in seen:
            continue
        seen.add(id(action))
        rows.append((plain(action.text()), ", ".join(keys)))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (what, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(what))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnToContents(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Keys with Ctrl work from anywhere in the window, also from a form field.")
        )
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(440, 420)

    def rows(self) -> list[tuple[str, str]]:
        return [
            (self.table.item(r, 0).text(), self.table.item(r, 1).text())
            for r in range(self.table.rowCount())
        ]


class VersionReader(QObject):
    """Package versions from their metadata, on a thread of its own: reading metadata scans
    the installed packages (and never imports torch, which would take seconds)."""

    ready = Signal(dict)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._read, name="versions", daemon=True)
        thread.start()
        return thread

    def _read(self) -> None:
        from models.runs.folder import versions

        self.ready.emit(versions())


def device_text(catalog) -> str:
    if catalog is None:
        return "not known yet (the engine is still loading)"
    present = [name for name in ("cuda", "mps", "cpu") if name in catalog.devices_present]
    names = [DEVICE_NAMES[name] for name in present]
    return f"{names[0]} (present: {', '.join(names)})" if names else "none found"


class AboutDialog(QDialog):
    def __init__(self, window, catalog):
        super().__init__(window)
        self.setWindowTitle("About Image Studio")
        self.versions: dict[str, str] = {}
        self.device = device_text(catalog)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setOpenExternalLinks(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
        self.reader = VersionReader(self)
        self.reader.ready.connect(self.show_versions)
        self._render()
        self.thread = self.reader.start()

    def show_versions(self, versions: dict) -> None:
        self.versions = dict(versions)
        self._render()

    def _render(self) -> None:
        found = self.versions.get
        waiting = "…"
        lines = [
            f"<h3>Image Studio {html.escape(found('image_studio', waiting))}</h3>",
            "Train small image models, watch them learn, explore and use them.",
            "<table>",
            f"<tr><td>Device</td><td>{html.escape(self.device)}</td></tr>",
            f"<tr><td>PyTorch</td><td>{html.escape(found('torch', waiting))}</td></tr>",
            f"<tr><td>torchvision</td><td>{html.escape(found('torchvision', waiting))}</td></tr>",
            f"<tr><td>Qt</td><td>{qVersion()} (PySide6 {pyside_version})</td></tr>",
            f"<tr><td>Python</td><td>{sys.version.split()[0]}</td></tr>",
            "</table>",
            f"<p><a href='{readme_url().toString()}'>README</a></p>",
        ]
        self.label.setText("\n".join(lines))

    def text(self) -> str:
        return self.label.text()


def readme_url() -> QUrl:
    return QUrl.fromLocalFile(str(README)) if README.is_file() else QUrl(PROJECT_URL)


class HelpMenu(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dialog: QDialog | None = None  # the one open now (kept so it is not collected)
        menu = window.menuBar().addMenu("&Help")
        self.shortcuts = menu.addAction("&Keyboard shortcuts...", self.show_shortcuts)
        self.shortcuts.setShortcut(QKeySequence("Ctrl+/"))
        self.readme = menu.addAction("&README", self.open_readme)
        self.readme.setShortcut(QKeySequence.StandardKey.HelpContents)
        menu.addSeparator()
        self.about = menu.addAction("&About Image Studio", self.show_about)
        self.about.setMenuRole(QAction.MenuRole.AboutRole)

    def _show(self, dialog: QDialog) -> QDialog:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.show()  # not modal: a person may keep it open beside the window
        return dialog

    def show_shortcuts(self) -> ShortcutsDialog:
        return self._show(ShortcutsDialog(self.window))

    def show_about(self) -> AboutDialog:
        return self._show(AboutDialog(self.window, self.window.train_panel.catalog))

    def open_readme(self) -> None:
        url = readme_url()
        if not QDesktopServices.openUrl(url):
            self._show(PathDialog(self.window, "README", url.toLocalFile() or url.toString()))
