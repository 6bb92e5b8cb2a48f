"""Progress of a long job on the latent page (a decode that is a whole sampling run, an
inversion), with a Cancel button. The page's worker runs one job at a time, so one bar says
what that job is doing; it hides when the job ends however it ends."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget


class JobProgress(QWidget):
    cancel_requested = Signal(str)  # the worker's key of the job to stop

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.key: str | None = None  # the job the bar speaks of
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(320)  # room for "Steps and guidance: step 120 of 400"
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop this computation at its next step")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel)
        self.cancel.clicked.connect(self._cancel)
        # The row keeps its height when hidden, so the tools below never jump.
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.setVisible(False)

    def show_progress(self, key: str, what: str, done: int, total: int) -> None:
        self.key = key
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        self.bar.setFormat(f"{what}: step {done} of {total}")
        self.cancel.setEnabled(True)
        self.setVisible(True)

    def finish(self, key: str) -> None:
        """The job `key` ended (result, failure or cancel): hide if it is the one shown."""
        if key == self.key:
            self.key = None
            self.setVisible(False)

    def _cancel(self) -> None:
        if self.key is not None:
            self.cancel.setEnabled(False)
            self.bar.setFormat("Stopping at the next step...")
            self.cancel_requested.emit(self.key)
