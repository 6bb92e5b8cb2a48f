"""Latent arithmetic: a chosen point plus "a 3 minus a 7", from class mean vectors of the
encoded test split."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from studio.latent import jobs as latent_jobs
from studio.latent.endpoint import EndPoint
from studio.latent.tool import DecodedImage, ExplorerTool

CAPTIONS = ("The point", "Point + scale x (plus - minus)", "Mean of plus", "Mean of minus")


class ArithmeticTool(ExplorerTool):
    key = "arithmetic"
    needs_analysis = True

    def unfit_reason(self, info: dict[str, Any]) -> str:
        if info["latent_layout"] != "image":
            return ""
        text = (
            "No arithmetic for this run: its latent is the noise an image is drawn from, and "
            "the mean noise of one class is as featureless as that of another, so "
            "adding and subtracting them changes nothing meaningful."
        )
        if info.get("conditional_classes"):
            text += (
                " This model takes the class beside the noise: choose the class on an end "
                "point of Interpolation or Four corners (or in Denoising) to turn the same "
                "noise into another class."
            )
        return text

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(host, parent)
        self.ready = False  # class means exist (an encoder and labels)
        self.point = self.add_endpoint(EndPoint("Point", seed=3))
        self.plus = QComboBox()
        self.plus.setToolTip("The class whose mean vector is added")
        self.minus = QComboBox()
        self.minus.setToolTip("The class whose mean vector is subtracted")
        self.scale = QDoubleSpinBox()
        self.scale.setRange(-3.0, 3.0)
        self.scale.setSingleStep(0.25)
        self.scale.setValue(1.0)
        self.scale.setToolTip("How far to move along plus - minus (negative moves the other way)")
        self.note = QLabel(
            "Open a run with an encoder: class means come from its encoded test split"
        )
        self.note.setWordWrap(True)
        self.images = [DecodedImage(caption) for caption in CAPTIONS]

        form = QHBoxLayout()
        for text, widget in (("plus", self.plus), ("minus", self.minus), ("scale", self.scale)):
            form.addWidget(QLabel(text))
            form.addWidget(widget)
        form.addStretch(1)
        grid = QGridLayout()
        for i, (caption, image) in enumerate(zip(CAPTIONS, self.images, strict=True)):
            grid.addWidget(QLabel(f"<b>{caption}</b>"), 0, i)
            grid.addWidget(image, 1, i)
            grid.setColumnStretch(i, 1)
        grid.setRowStretch(1, 1)
        top = QHBoxLayout()
        top.addWidget(self.point)
        controls = QVBoxLayout()
        controls.addLayout(form)
        controls.addWidget(self.note)
        top.addLayout(controls, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)

        for combo in (self.plus, self.minus):
            combo.currentIndexChanged.connect(self.request)
        self.scale.valueChanged.connect(self.request)
        self.images[1].drawn.connect(self.report_redraw)

    def set_model(self, info: dict[str, Any] | None) -> None:
        self.ready = False
        for image in self.images:
            image.show_array(None)
        names = [] if info is None else info["class_names"]
        for combo, default in ((self.plus, 3), (self.minus, 7)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(min(default, len(names) - 1))
            combo.blockSignals(False)
        if info is not None and not info["can_encode"]:
            self.note.setText(
                f"A {info['title']} has no encoder, so there are no class mean vectors to add "
                "or subtract. Open a run with an encoder for arithmetic."
            )
        elif info is not None and not names:
            self.note.setText("This run's data has no labels, so there are no class means.")
        elif info is not None:
            self.note.setText("Computing class means from the test split...")
        self.setEnabled(info is None or (info["can_encode"] and bool(names)))
        super().set_model(info)

    def set_analysis(self, analysis: dict[str, Any]) -> None:
        self.ready = bool(analysis.get("means"))
        if self.ready:
            self.note.setText(
                "<small>Class means from the encoded test split. Try plus 3, minus 7 on a "
                "test image of a 7.</small>"
            )
            self.request()

    def request(self) -> None:
        if self.info is None or not self.ready:
            return
        self.mark_change()
        self.run_job(
            "result", latent_jobs.arithmetic, self.point.spec(),
            self.plus.currentIndex(), self.minus.currentIndex(), self.scale.value(),
        )  # fmt: skip

    def on_result(self, name: str, value: dict[str, Any]) -> None:
        if name == "result":
            for image, pixels in zip(self.images, value["images"], strict=True):
                image.show_array(pixels)
        else:
            super().on_result(name, value)
