"""Train, Pause/Resume and Stop as window-wide actions (the Training menu and its keys).

Each key carries Ctrl, so none of them is a key a form field uses: Esc in a spin box and Space
in a text field stay with the field, and no key that ends a run fires from an editor. The
actions mirror the Train panel's buttons (enabled, Pause or Resume), which stay the one place
that decides what may be pressed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

TRAIN_KEYS = ("Ctrl+Return", "Ctrl+Enter")  # Enter: the keypad's key
PAUSE_KEYS = ("Ctrl+P",)
STOP_KEYS = ("Ctrl+.",)


def key_text(action: QAction) -> str:
    """The action's keys as this platform writes them, e.g. "Ctrl+P" (or "⌘P" on a Mac)."""
    return ", ".join(
        keys.toString(QKeySequence.SequenceFormat.NativeText) for keys in action.shortcuts()
    )


class RunActions(QObject):
    def __init__(self, panel, window):
        super().__init__(window)
        self.panel = panel
        self.train = self._action(window, "&Train", TRAIN_KEYS, panel.press_train)
        self.pause = self._action(window, "&Pause", PAUSE_KEYS, panel.press_pause)
        self.stop = self._action(window, "&Stop", STOP_KEYS, panel.press_stop)
        self.tips = {
            self.train: (panel.train_button, "Start training"),
            self.pause: (panel.pause_button, "Pause or resume between steps"),
            self.stop: (panel.stop_button, "Stop after the current step; a checkpoint is written"),
        }
        panel.controls_changed.connect(self.sync)
        self.sync()

    @staticmethod
    def _action(window, text: str, keys: tuple[str, ...], slot) -> QAction:
        action = QAction(text, window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        # Window-wide: whichever pane has the focus (a page, the runs list, a form field).
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        window.addAction(action)
        return action

    def sync(self) -> None:
        for action, (button, tip) in self.tips.items():
            action.setEnabled(button.isEnabled())
            button.setToolTip(f"{tip} ({key_text(action)})")
        self.pause.setText("&Resume" if self.panel.pause_button.text() == "Resume" else "&Pause")

    def actions(self) -> list[QAction]:
        return [self.train, self.pause, self.stop]
