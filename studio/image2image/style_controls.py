"""The style job's form: the style picture, strength, size, steps, the feature network (and a
weights file), and Start / Pause / Stop. It only asks; the page runs the job."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.image2image.compare_view import to_qimage

# The engine's choices (models.style.networks.CHOICES), with what each means to a person.
NETWORKS = (
    ("auto", "Automatic", "ImageNet VGG weights if they are on this machine, else the random "
     "network"),
    ("random", "Random (offline)", "A random multi-scale network: needs no download"),
    ("vgg16", "VGG-16 (ImageNet)", "VGG-16 with ImageNet weights (cached, chosen or downloaded)"),
    ("vgg19", "VGG-19 (ImageNet)", "VGG-19 with ImageNet weights (cached, chosen or downloaded)"),
)  # fmt: skip
THUMBNAIL = 52


class StyleControls(QWidget):
    style_file_requested = Signal()
    start_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.weights_file: str | None = None
        self.style_thumbnail = QLabel("No style yet")
        self.style_thumbnail.setFixedSize(THUMBNAIL * 2, THUMBNAIL)
        self.style_thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.style_thumbnail.setFrameShape(QLabel.Shape.StyledPanel)
        self.style_thumbnail.setToolTip("The picture whose style is taken (drop one here)")
        self.style_button = QPushButton("Style...")
        self.style_button.setToolTip("Open the picture whose style is taken, e.g. a painting")
        self.strength = QDoubleSpinBox()
        self.strength.setRange(0.0, 1000.0)
        self.strength.setDecimals(2)
        self.strength.setValue(1.0)
        self.strength.setToolTip("Style against content: 0 keeps the photo, higher paints more")
        self.size = QSpinBox()
        self.size.setRange(32, 2048)
        self.size.setSingleStep(32)
        self.size.setValue(256)
        self.size.setSuffix(" px")
        self.size.setToolTip("Pixels along the result's longer side")
        self.steps = QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setValue(200)
        self.steps.setToolTip("Iterations; the losses show when more stop helping")
        self.network = QComboBox()
        for index, (key, title, tip) in enumerate(NETWORKS):
            self.network.addItem(title, key)
            self.network.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        self.network.setToolTip("The network whose features describe content and style")
        self.weights_button = QPushButton("Weights file...")
        self.weights_button.setToolTip("Use a VGG weights file (.pth or .safetensors) of yours")
        self.download = QComboBox()
        self.download.addItem("Never download", False)
        self.download.addItem("Download missing VGG weights", True)
        self.download.setToolTip("Whether a chosen VGG may fetch its ImageNet weights")
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Paint the input picture in the style picture's style")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.network_label = QLabel("Network in use: shown when a job starts")
        self.network_label.setToolTip("The feature network whose Gram matrices are matched")
        # A long network name is cut (its tooltip holds it all) instead of widening the page;
        # no word wrap, which would make the page's height depend on its width and, in the
        # window's scroll area, taller than the window.
        self.network_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        first = QHBoxLayout()
        for label, field in (("Strength", self.strength), ("Size", self.size),
                             ("Steps", self.steps)):  # fmt: skip
            first.addWidget(QLabel(label))
            first.addWidget(field)
        first.addSpacing(12)
        for button in (self.start_button, self.pause_button, self.stop_button):
            first.addWidget(button)
        first.addStretch(1)
        second = QHBoxLayout()
        second.addWidget(QLabel("Network"))
        for field in (self.network, self.weights_button, self.download):
            second.addWidget(field)
        second.addWidget(self.network_label, 1)
        rows = QVBoxLayout()
        rows.addLayout(first)
        rows.addLayout(second)
        picked = QVBoxLayout()
        picked.setSpacing(2)
        picked.addWidget(self.style_thumbnail)
        picked.addWidget(self.style_button)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(picked)
        row.addLayout(rows, 1)

        self.style_button.clicked.connect(self.style_file_requested)
        self.weights_button.clicked.connect(self._ask_weights)
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.set_running(False)

    def settings(self) -> dict[str, Any]:
        """The engine's StyleSettings fields, as plain data."""
        return {
            "steps": self.steps.value(),
            "size": self.size.value(),
            "strength": self.strength.value(),
            "network": self.network.currentData(),
            "weights_file": self.weights_file,
            "download": bool(self.download.currentData()),
        }

    def show_style(self, pixels) -> None:
        picture = QPixmap.fromImage(to_qimage(pixels))
        keep = Qt.AspectRatioMode.KeepAspectRatio
        smooth = Qt.TransformationMode.SmoothTransformation
        self.style_thumbnail.setPixmap(picture.scaled(self.style_thumbnail.size(), keep, smooth))

    def set_running(self, running: bool, paused: bool = False) -> None:
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")
        for field in (self.strength, self.size, self.steps, self.network, self.weights_button,
                      self.download, self.style_button):  # fmt: skip
            field.setEnabled(not running)

    def _pause_clicked(self) -> None:
        if self.pause_button.text() == "Resume":
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()

    def _ask_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "VGG weights file", "", "Weights (*.pth *.pt *.safetensors)"
        )
        if path:
            self.weights_file = path
            self.weights_button.setText("Weights: chosen")
            self.weights_button.setToolTip(path)
