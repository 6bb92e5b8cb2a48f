"""An end point of a latent path: a random seed (for a model trained with classes, optionally
asking for a chosen class), a test image picked from a gallery, or an image file dropped onto it
(for kinds that can encode)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.training.samples_view import to_qimage

MAX_SEED = 2**31 - 1
THUMB = 48


def thumbnail_pixmap(pixels: np.ndarray, size: int = THUMB) -> QPixmap:
    return QPixmap.fromImage(to_qimage(pixels)).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )


class TestGallery(QDialog):
    """The test images as a grid of thumbnails, each with its class under it, and a filter by
    class; a double-click (or OK) picks one."""

    def __init__(self, images: np.ndarray, labels, class_names, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Pick a test image")
        self.labels = None if labels is None else [int(label) for label in labels]
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 16, THUMB + 24))  # room for the class under it
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setUniformItemSizes(True)
        for index, pixels in enumerate(images):
            label = "" if self.labels is None else str(class_names[self.labels[index]])
            item = QListWidgetItem(QIcon(thumbnail_pixmap(pixels)), label)
            item.setToolTip(f"test image {index}" + (f", labelled {label}" if label else ""))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.list.addItem(item)
        self.classes = QComboBox()
        self.classes.setToolTip("Show only the test images of one class")
        self.classes.addItem("Every class", None)
        for index, name in enumerate(class_names if self.labels is not None else ()):
            count = self.labels.count(index)
            self.classes.addItem(f"{name}  ({count} images)", index)
        self.classes.setEnabled(self.labels is not None)
        self.shown = QLabel()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        self.classes.currentIndexChanged.connect(lambda _: self.filter(self.classes.currentData()))
        top = QHBoxLayout()
        top.addWidget(QLabel("Class:"))
        top.addWidget(self.classes)
        top.addStretch(1)
        top.addWidget(self.shown)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(720, 520)
        self.filter(None)

    def filter(self, label: int | None) -> None:
        """Show the images of class `label` only (None: every image)."""
        shown = 0
        for row in range(self.list.count()):
            hidden = label is not None and self.labels is not None and self.labels[row] != label
            self.list.item(row).setHidden(hidden)
            shown += not hidden
        self.shown.setText(f"{shown} test images")
        current = self.list.currentItem()
        if current is not None and current.isHidden():
            self.list.setCurrentRow(-1)

    def chosen(self) -> int | None:
        row = self.list.currentRow()
        return row if row >= 0 and not self.list.item(row).isHidden() else None


class EndPoint(QGroupBox):
    """Where a path starts or ends. `spec()` is what the worker turns into a latent."""

    changed = Signal()
    file_dropped = Signal(str)  # asks the tool to have the file encoded
    refused = Signal(str)  # a one-line reason a drop was not taken

    def __init__(self, title: str, seed: int, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.setAcceptDrops(True)
        self.can_encode = False
        self.model_title = "model"
        self.gallery: dict[str, Any] | None = None
        self._spec: dict[str, Any] = {"source": "seed", "seed": seed}

        self.picture = QLabel()
        self.picture.setFixedSize(THUMB, THUMB)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("border: 1px solid palette(mid);")
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setValue(seed)
        self.seed.setToolTip("The random latent this seed stands for; type any number")
        self.reroll = QPushButton("Re-roll")
        self.reroll.setToolTip("A new random seed")
        self.pick = QPushButton("Test image...")
        self.pick.setToolTip("Start from a test image, encoded by the model")
        self.label = QComboBox()
        self.label.setToolTip(
            "The class this end point asks the generator for; a seed alone picks one at random"
        )
        self.label.setVisible(False)
        self.source = QLabel()
        self.source.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.seed, 1)
        row.addWidget(self.reroll)
        side = QVBoxLayout()
        side.addLayout(row)
        side.addWidget(self.label)
        side.addWidget(self.pick)
        side.addWidget(self.source)
        layout = QHBoxLayout(self)
        layout.addWidget(self.picture)
        layout.addLayout(side, 1)

        self.seed.valueChanged.connect(self._seed_typed)
        self.reroll.clicked.connect(lambda: self.seed.setValue(random.randint(0, MAX_SEED)))
        self.pick.clicked.connect(self.ask_test_image)
        self.label.currentIndexChanged.connect(lambda _: self._seed_typed(self.seed.value()))
        self.set_capabilities(False, "model")

    # --- what it stands for ----------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        return dict(self._spec)

    def set_capabilities(
        self, can_encode: bool, model_title: str, classes: list[str] | tuple = ()
    ) -> None:
        self.can_encode, self.model_title = can_encode, model_title
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItem("Class the seed picks", None)
        for index, name in enumerate(classes):
            self.label.addItem(f"Class {name}", index)
        self.label.blockSignals(False)
        self.label.setVisible(bool(classes))
        if self._spec.get("label") is not None:
            self._spec = {"source": "seed", "seed": self.seed.value()}
        self.pick.setEnabled(can_encode)
        if can_encode:
            self.setToolTip("A seed, a test image, or drop an image file here to encode it")
        else:
            self.setToolTip(f"A seed (a {model_title} has no encoder, so images cannot be used)")
            if self._spec["source"] != "seed":
                self.use_seed()
        self._describe()

    def use_seed(self) -> None:
        self._seed_typed(self.seed.value())

    def choose_label(self, index: int | None) -> None:
        """Ask for class `index` (None: the class the seed picks) from a seed."""
        self.label.setCurrentIndex(max(self.label.findData(index), 0))
        self.use_seed()

    def set_test_image(self, index: int) -> None:
        pixels = self.gallery["images"][index] if self.gallery else None
        self._set({"source": "test", "index": int(index)}, pixels)

    def set_file(self, path: str, pixels: np.ndarray) -> None:
        self._set({"source": "file", "path": path}, pixels)

    def _seed_typed(self, value: int) -> None:
        spec: dict[str, Any] = {"source": "seed", "seed": value}
        if self.label.currentData() is not None:
            spec["label"] = int(self.label.currentData())
        self._set(spec, None)

    def _set(self, spec: dict[str, Any], pixels: np.ndarray | None) -> None:
        self._spec = spec
        self.picture.setPixmap(QPixmap() if pixels is None else thumbnail_pixmap(pixels))
        self._describe()
        self.changed.emit()

    def _describe(self) -> None:
        spec = self._spec
        if spec["source"] == "seed":
            text = f"random latent, seed {spec['seed']}"
            if spec.get("label") is not None:
                text += f", drawn as {self.label.currentText().removeprefix('Class ')}"
            self.picture.setText("seed")
        elif spec["source"] == "test":
            text = f"test image {spec['index']}" + self._class_of(spec["index"])
        else:
            text = Path(spec["path"]).name
        self.source.setText(f"<small>{text}</small>")

    def _class_of(self, index: int) -> str:
        gallery = self.gallery or {}
        labels, names = gallery.get("labels"), gallery.get("class_names")
        if labels is None or not names or index >= len(labels):
            return ""
        return f", labelled {names[int(labels[index])]}"

    def ask_test_image(self) -> None:
        if not self.gallery:
            self.refused.emit("The test images are still loading; try again in a moment.")
            return
        info = self.gallery
        dialog = TestGallery(info["images"], info["labels"], info["class_names"], self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen() is not None:
            self.set_test_image(dialog.chosen())

    # --- drops -----------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not files:
            self.refused.emit("Only image files from this computer can be dropped here.")
            return
        event.acceptProposedAction()
        if not self.can_encode:
            self.refused.emit(
                f"A {self.model_title} has no encoder, so {Path(files[0]).name} cannot become "
                "an end point; it stays a seed."
            )
            return
        self.file_dropped.emit(files[0])
