"""The Help menu: keyboard shortcuts read from the window's own actions, About with versions
and the device (without torch on the GUI thread), and the README."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from studio_helpers import WAIT_MS


def menu_titles(window) -> list[str]:
    return [a.text().replace("&", "") for a in window.menuBar().actions()]


def test_keyboard_shortcuts_dialog_lists_every_shortcut_from_the_actions(window, qtbot):
    assert "Help" in menu_titles(window)
    dialog = window.help_menu.show_shortcuts()
    rows = dict(dialog.rows())
    assert rows["Train"].startswith("Ctrl+Return")
    assert rows["Pause"] == "Ctrl+P" and rows["Stop"] == "Ctrl+."
    open_keys = QKeySequence(QKeySequence.StandardKey.Open)
    assert rows["Classify files"] == open_keys.toString(QKeySequence.SequenceFormat.NativeText)
    assert rows["Show the Latent space page"] == "Ctrl+2"
    assert "Esc" not in " ".join(rows.values()) and "Space" not in rows.values()
    dialog.close()
    # Built from the actions, not a list kept by hand: a new action appears by itself.
    extra = QAction("Do something new", window)
    extra.setShortcut(QKeySequence("Ctrl+Shift+J"))
    window.addAction(extra)
    dialog = window.help_menu.show_shortcuts()
    assert dict(dialog.rows())["Do something new"] == "Ctrl+Shift+J"
    dialog.close()


def test_about_names_the_versions_and_the_device(window, qtbot):
    import torch
    from PySide6.QtCore import qVersion

    dialog = window.help_menu.show_about()
    qtbot.waitUntil(lambda: torch.__version__.split("+")[0] in dialog.text(), timeout=WAIT_MS)
    dialog.thread.join(WAIT_MS / 1000)
    text = dialog.text()
    assert qVersion() in text and sys.version.split()[0] in text
    assert "0.1.0" in text or "image_studio" not in dialog.versions
    device = window.status.device_label.text()
    assert f"Device</td><td>{device}" in text
    assert "README" in text
    dialog.close()


def test_about_reads_versions_without_importing_torch():
    code = (
        "import sys; from studio.help_menu import VersionReader; r = VersionReader();"
        "got = []; r.ready.connect(got.append); r._read();"
        "print(got[0]['torch'] != '', 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parents[2], check=True)  # fmt: skip
    assert out.stdout.split() == ["True", "False"]


def test_the_readme_opens_or_its_path_is_shown(window, qtbot, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.help_menu.readme.trigger()
    assert opened and opened[0].toLocalFile().endswith("README.md")
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    window.help_menu.readme.trigger()
    assert window.help_menu.dialog.path.text().endswith("README.md")
    window.help_menu.dialog.close()
