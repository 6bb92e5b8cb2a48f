"""What every tool page of the latent explorer shares: how it asks the worker for work, hears
back, remembers a person's choices, shows decoded images and asks where to save them."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QWidget

from studio.latent.endpoint import EndPoint
from studio.latent.jobs import endpoint_file, export_image
from studio.latent.routes import ToolJob
from studio.training.samples_view import GridImage, to_qimage


def remembered(key: str, default: Any) -> Any:
    """A choice kept from the last session (QSettings' INI backend returns strings)."""
    value = QSettings().value(f"latent/{key}", default)
    try:
        return type(default)(value)
    except (TypeError, ValueError):
        return default


def remember(key: str, value: Any) -> None:
    QSettings().setValue(f"latent/{key}", value)


class DecodedImage(GridImage):
    """A decoded image or grid, as large as its space allows; says when it has been drawn, so
    redraw latency is measurable."""

    drawn = Signal()
    array: np.ndarray | None = None  # what is shown, as decoded (for exports)

    def show_array(self, image: np.ndarray | None) -> None:
        self.array = image
        self.set_image(None if image is None else to_qimage(image))
        self.drawn.emit()

    def _rescale(self) -> None:
        """Fill the space, not only whole multiples of the image: an 8 x 8 grid of digits in a
        space 1.9 times its size was drawn at 1x in a large empty area. Enlarged by the next
        whole factor without smoothing, then smoothed down to the fit: edges stay crisp."""
        if self.image is None:
            super()._rescale()
            return
        ratio = self.devicePixelRatioF()
        width, height = self.image.width(), self.image.height()
        fit = min(self.width() * ratio / width, self.height() * ratio / height)
        if fit < 1 or fit == int(fit):
            super()._rescale()
            return
        keep = Qt.AspectRatioMode.KeepAspectRatio
        up = math.ceil(fit)
        pixmap = QPixmap.fromImage(self.image).scaled(
            width * up, height * up, keep, Qt.TransformationMode.FastTransformation
        )
        pixmap = pixmap.scaled(
            max(1, int(width * fit)), max(1, int(height * fit)), keep,
            Qt.TransformationMode.SmoothTransformation,
        )  # fmt: skip
        pixmap.setDevicePixelRatio(ratio)
        self.setPixmap(pixmap)


class ExplorerTool(QWidget):
    """One page of the explorer. Its jobs are routed to it by `key` (a ToolJob of its own).

    The explorer hands each tool itself as `host`, which offers: `run_job(name, job, *args)`
    (the open run's token is added), `notify(message)`, `info` (the open model), `analysis`
    (map data, KL order, class means) and `gallery` (test images for picking end points).
    """

    key = "tool"
    needs_analysis = False  # waits for the page's analysis (map, KL order, class means)
    redrawn = Signal(float)  # seconds from the change a person made to the new image drawn

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(parent)
        self.host = host
        self.info: dict[str, Any] | None = None
        self.endpoints: list[EndPoint] = []
        self._changed_at: float | None = None
        self._deferred = False  # a costly request waits until the tool is on screen

    def add_endpoint(self, endpoint: EndPoint) -> EndPoint:
        """Wire an end point: its changes redraw, its drops are encoded in the worker."""
        index = len(self.endpoints)
        self.endpoints.append(endpoint)
        endpoint.changed.connect(self.request)
        endpoint.refused.connect(self.host.notify)
        endpoint.file_dropped.connect(
            lambda path: self.run_job(f"endpoint{index}", endpoint_file, path)
        )
        return endpoint

    def request(self) -> None:
        """Ask the worker for what this tool shows, after any change of its settings."""

    def deferred(self) -> bool:
        """True (and the request kept for later) when a decode is a whole sampling run and
        this tool is not on screen: opening such a run must not queue minutes of decoding
        for tabs nobody looks at ahead of the one a person does."""
        costly = self.info is not None and self.info.get("decode_passes") == "many"
        self._deferred = costly and not self.isVisible()
        return self._deferred

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._deferred:
            self._deferred = False
            self.request()

    def run_job(self, name: str, job, *args) -> None:
        self.host.run_job(ToolJob(self.key, name), job, *args)

    def offered(self, info: dict[str, Any] | None) -> bool:
        """Whether the page shows this tool's tab at all for the opened model (None: none)."""
        return True

    def unfit_reason(self, info: dict[str, Any]) -> str:
        """Why this tool has nothing to offer for the opened model ("" when it has): the page
        shows this sentence in its place instead of controls that cannot work."""
        return ""

    def mark_change(self) -> None:
        self._changed_at = time.perf_counter()

    def report_redraw(self) -> None:
        if self._changed_at is not None:
            self.redrawn.emit(time.perf_counter() - self._changed_at)
            self._changed_at = None

    # --- what the explorer tells every tool ----------------------------------------------
    def set_model(self, info: dict[str, Any] | None) -> None:
        """A run was opened (or closed, None); clear what belonged to the last one."""
        self.info = info
        self._deferred = False
        for endpoint in self.endpoints:
            endpoint.gallery = None
            if info is not None:
                endpoint.set_capabilities(
                    info["can_encode"], info["title"], info.get("conditional_classes", [])
                )
        if info is not None:
            self.request()

    def set_analysis(self, analysis: dict[str, Any]) -> None:
        """The encoded test split (or noise batch) is ready: map, KL order, class means."""

    def set_gallery(self, gallery: dict[str, Any]) -> None:
        """The test images are ready to be picked as end points."""
        for endpoint in self.endpoints:
            endpoint.gallery = gallery

    def on_result(self, name: str, value: dict[str, Any]) -> None:
        """A job of this tool finished."""
        if name.startswith("endpoint"):
            self.endpoints[int(name[len("endpoint") :])].set_file(value["path"], value["thumb"])
        elif name == "export":
            self.host.notify(f"Saved {value['path']}")

    def on_failed(self, name: str, message: str) -> None:
        self.host.notify(message)

    def on_cancelled(self, name: str) -> None:
        """A job of this tool was stopped before it finished (Cancel, or another run)."""

    # --- saving --------------------------------------------------------------------------
    def ask_save_path(self, title: str, name: str, filters: str) -> str | None:
        folder = remembered("export_folder", str(Path.home()))
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(folder) / name), filters)
        if not path:
            return None
        remember("export_folder", str(Path(path).parent))
        return path

    def ask_save_image(self, title: str, name: str, image: np.ndarray | None) -> None:
        """Ask where, then have the worker write `image` there as a PNG."""
        path = self.ask_save_path(title, name, "PNG image (*.png)")
        if path:
            self.save_image(path, image)

    def save_image(self, path: str, image: np.ndarray | None) -> None:
        if not path.lower().endswith(".png"):
            path += ".png"
        self.run_job("export", export_image, path, image)
