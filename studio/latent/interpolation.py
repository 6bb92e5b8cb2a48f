"""Paths between end points: a strip from one end point to another, and an N x N grid of
blends between four corners."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.latent import jobs as latent_jobs
from studio.latent.endpoint import EndPoint
from studio.latent.tool import DecodedImage, ExplorerTool, remember, remembered

PATHS = (("slerp", "Spherical (slerp)"), ("lerp", "Linear (lerp)"))


class InterpolationTool(ExplorerTool):
    """Two end points and the decoded images on the way from one to the other."""

    key = "strip"

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(host, parent)
        self.frames = None
        self.start = self.add_endpoint(EndPoint("Start", seed=1))
        self.end = self.add_endpoint(EndPoint("End", seed=2))
        self.path_kind = QComboBox()
        for name, title in PATHS:
            self.path_kind.addItem(title, name)
        self.path_kind.setCurrentIndex(max(0, self.path_kind.findData(remembered("path", "slerp"))))
        self.path_kind.setToolTip(
            "Spherical keeps the points where the prior puts its mass; linear cuts straight "
            "through the middle, where images often fade"
        )
        self.steps = QSpinBox()
        self.steps.setRange(2, 64)
        self.steps.setValue(remembered("steps", 10))
        self.steps.setToolTip("Images in the strip, both end points included")
        self.strip = DecodedImage("Open a run with a latent space to interpolate")
        self.strip.setToolTip("Decoded images from the start (left) to the end (right)")
        self.save_png = QPushButton("Save PNG strip...")
        self.save_png.setToolTip("The strip as one PNG image")
        self.save_gif = QPushButton("Save GIF loop...")
        self.save_gif.setToolTip("The strip as an animated GIF that plays forward and back")

        ends = QHBoxLayout()
        ends.addWidget(self.start)
        ends.addWidget(self.end)
        form = QHBoxLayout()
        form.addWidget(QLabel("Path"))
        form.addWidget(self.path_kind)
        form.addWidget(QLabel("Steps"))
        form.addWidget(self.steps)
        form.addStretch(1)
        form.addWidget(self.save_png)
        form.addWidget(self.save_gif)
        layout = QVBoxLayout(self)
        layout.addLayout(ends)
        layout.addLayout(form)
        layout.addWidget(self.strip, 1)

        self.path_kind.currentIndexChanged.connect(self.request)
        self.steps.valueChanged.connect(self.request)
        self.strip.drawn.connect(self.report_redraw)
        self.save_png.clicked.connect(lambda: self.ask_export(".png"))
        self.save_gif.clicked.connect(lambda: self.ask_export(".gif"))
        self._enable_exports()

    def request(self) -> None:
        if self.info is None or self.deferred():
            return
        remember("path", self.path_kind.currentData())
        remember("steps", self.steps.value())
        self.mark_change()
        self.run_job(
            "strip", latent_jobs.interpolate, self.start.spec(), self.end.spec(),
            self.path_kind.currentData(), self.steps.value(),
        )  # fmt: skip

    def set_model(self, info: dict[str, Any] | None) -> None:
        self.frames = None
        self.strip.show_array(None)
        self._enable_exports()
        super().set_model(info)

    def on_result(self, name: str, value: dict[str, Any]) -> None:
        if name == "strip":
            self.frames = value["frames"]
            self.strip.show_array(value["strip"])
            self._enable_exports()
        else:
            super().on_result(name, value)

    def _enable_exports(self) -> None:
        self.save_png.setEnabled(self.frames is not None)
        self.save_gif.setEnabled(self.frames is not None)

    def ask_export(self, suffix: str) -> None:
        kind = "GIF loop (*.gif)" if suffix == ".gif" else "PNG strip (*.png)"
        path = self.ask_save_path("Save interpolation", f"interpolation{suffix}", kind)
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """Written by the worker: PNG strip or forward-and-back GIF, by the file's suffix."""
        if not path.lower().endswith((".png", ".gif")):
            path += ".png"
        self.run_job("export", latent_jobs.export_strip, path, list(self.frames))


class CornerGridTool(ExplorerTool):
    """Four end points at the corners of an N x N grid of blends between them."""

    key = "corners"

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(host, parent)
        titles = ("Top left", "Top right", "Bottom left", "Bottom right")
        self.corners = [
            self.add_endpoint(EndPoint(title, seed=seed)) for seed, title in enumerate(titles, 1)
        ]
        self.size = QSpinBox()
        self.size.setRange(2, 16)
        self.size.setValue(remembered("corner_size", 8))
        self.size.setToolTip("Images per side of the grid, corners included")
        self.grid = DecodedImage("Open a run with a latent space to blend four corners")
        self.grid.setToolTip("Bilinear blends of the four corner latents, decoded")
        self.save_png = QPushButton("Save PNG...")
        self.save_png.setToolTip("The grid as one PNG image")
        self.save_png.setEnabled(False)

        corners = QGridLayout()
        for i, corner in enumerate(self.corners):
            corners.addWidget(corner, i // 2, i % 2)
        controls = QFormLayout()
        controls.addRow("Grid size", self.size)
        controls.addRow(self.save_png)
        side = QVBoxLayout()
        side.addLayout(corners)
        side.addLayout(controls)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(side)
        layout.addWidget(self.grid, 1)

        self.size.valueChanged.connect(self.request)
        self.grid.drawn.connect(self.report_redraw)
        self.save_png.clicked.connect(self.ask_export)

    def request(self) -> None:
        if self.info is None or self.deferred():
            return
        remember("corner_size", self.size.value())
        self.mark_change()
        specs = [corner.spec() for corner in self.corners]
        self.run_job("grid", latent_jobs.corners, specs, self.size.value())

    def set_model(self, info: dict[str, Any] | None) -> None:
        self.grid.show_array(None)
        self.save_png.setEnabled(False)
        super().set_model(info)

    def on_result(self, name: str, value: dict[str, Any]) -> None:
        if name == "grid":
            self.grid.show_array(value["grid"])
            self.save_png.setEnabled(True)
        else:
            super().on_result(name, value)

    def ask_export(self) -> None:
        self.ask_save_image("Save corner grid", "corners.png", self.grid.array)

    def export(self, path: str) -> None:
        self.save_image(path, self.grid.array)
