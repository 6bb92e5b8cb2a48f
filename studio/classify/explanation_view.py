"""Where a classifier looked: an overlay (uint8 H x W x 3, computed by a worker) shown large,
with the method's name and what the colours mean. Draws arrays only; never runs a model."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from studio.classify.table import pixmap_of

SIDE = 112  # a little smaller than the model input above it: the details pane must fit 720 px


class ExplanationView(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Why it decided", parent)
        self.setToolTip(
            "Red and yellow mark the parts of the image the classifier's decision rests on "
            "most, blue the parts it ignored"
        )
        self.key: str | None = None
        self.image = QLabel()
        self.image.setFixedSize(SIDE, SIDE)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.note)

    def expect(self, key: str | None) -> None:
        """A row was selected: its explanation is on its way (or, for None, none is)."""
        self.key = key
        self.image.clear()
        self.note.setText("Working out where it looked..." if key is not None else "")

    def show_overlay(self, key: str, overlay: np.ndarray, method: str) -> None:
        if key != self.key:
            return  # an answer for a row no longer selected
        self.image.setPixmap(pixmap_of(overlay, SIDE))
        self.note.setText(f"{method}: red = what decided it")

    def show_error(self, message: str) -> None:
        self.image.clear()
        self.note.setText(f"No explanation: {message}")
