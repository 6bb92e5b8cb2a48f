"""The latent map: the encoded test split (or noise samples) projected onto its two principal
directions, coloured by label, with thumbnails on hover; a click decodes any point of the
plane, and a 2-D latent shows its decoded manifold behind the points."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from studio.latent import jobs as latent_jobs
from studio.latent.endpoint import thumbnail_pixmap
from studio.latent.tool import DecodedImage, ExplorerTool
from studio.palette import TAB10

POINT_ALPHA = 210  # points overlap: a little see-through shows where they pile up


def label_colours(count: int) -> list:
    """One colour per class: tab10 for up to ten classes; beyond that, tab10 then evenly
    spread hues for the rest (many classes cannot all be told apart by colour anyway)."""
    colours = [pg.mkColor(TAB10[i]) for i in range(min(count, len(TAB10)))]
    extra = count - len(colours)
    colours += [pg.intColor(i, hues=max(extra, 1)) for i in range(extra)]
    for colour in colours:
        colour.setAlpha(POINT_ALPHA)
    return colours


class LatentMapTool(ExplorerTool):
    key = "map"
    needs_analysis = True

    def unfit_reason(self, info: dict[str, Any]) -> str:
        if info["latent_layout"] != "image":
            return ""
        return (
            "No map for this run: its latent is noise shaped like the image, and a plane "
            "through that noise sorts nothing (any two directions of it are noise too), while "
            "each point drawn would cost a whole sampling run. Interpolation and Four corners "
            "show how this latent turns into images."
        )

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(host, parent)
        self.analysis: dict[str, Any] | None = None
        self.thumbs: np.ndarray | None = None
        self.labels: np.ndarray | None = None
        self.hovered: int | None = None
        self.clicked_at: tuple[float, float] | None = None

        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setToolTip("Click anywhere on the plane to decode that point")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.manifold = pg.ImageItem(axisOrder="row-major")
        self.manifold.setZValue(-10)
        self.manifold.setOpacity(0.75)
        self.scatter = pg.ScatterPlotItem(size=7, pen=None, hoverable=True, hoverSize=11)
        self.marker = pg.ScatterPlotItem(size=16, symbol="x", pen=pg.mkPen("k", width=2))
        self.plot.addItem(self.manifold)
        self.plot.addItem(self.scatter)
        self.plot.addItem(self.marker)

        self.status = QLabel("Open a run with a latent space to map it")
        self.status.setWordWrap(True)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.hover = QLabel()
        self.hover.setMinimumSize(84, 84)
        self.hover_text = QLabel()
        self.hover_text.setWordWrap(True)
        self.decoded = DecodedImage("Click the map to decode a point")
        self.decoded.setToolTip("The image the clicked point of the plane decodes to")

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.status)
        side_layout.addWidget(self.legend)
        side_layout.addWidget(QLabel("<b>Under the pointer</b>"))
        hover_row = QHBoxLayout()
        hover_row.addWidget(self.hover)
        hover_row.addWidget(self.hover_text, 1)
        side_layout.addLayout(hover_row)
        side_layout.addWidget(QLabel("<b>Decoded at the click</b>"))
        side_layout.addWidget(self.decoded, 1)
        splitter = QSplitter()
        splitter.addWidget(self.plot)
        splitter.addWidget(side)
        splitter.setSizes([620, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.scatter.sigHovered.connect(self._hovered)
        self.plot.scene().sigMouseClicked.connect(self._scene_clicked)
        self.decoded.drawn.connect(self.report_redraw)

    # --- data ----------------------------------------------------------------------------------
    def set_model(self, info: dict[str, Any] | None) -> None:
        self.analysis, self.thumbs, self.labels, self.clicked_at = None, None, None, None
        # The last run's image under the pointer must not stay beside another run's map.
        self.hovered = None
        self.hover.clear()
        self.hover_text.clear()
        self.scatter.clear()
        self.marker.clear()
        self.manifold.clear()
        self.decoded.show_array(None)
        self.legend.clear()
        self.status.setText(
            "Open a run with a latent space to map it"
            if info is None else "Encoding and projecting..."
        )  # fmt: skip
        super().set_model(info)

    def set_gallery(self, gallery: dict[str, Any]) -> None:
        if self.thumbs is None:
            self.thumbs = gallery["images"]

    def set_analysis(self, analysis: dict[str, Any]) -> None:
        self.analysis = analysis
        if analysis.get("thumbs") is not None:
            self.thumbs = analysis["thumbs"]
        points, labels = analysis["points"], analysis["labels"]
        self.labels = labels
        names = self.info["class_names"] if self.info else []
        if labels is not None and names:
            colours = label_colours(len(names))
            brushes = [pg.mkBrush(colours[int(label)]) for label in labels]
            self.legend.setText(
                " ".join(
                    f"<span style='color:{c.name()}'>&#9632;</span>&nbsp;{n}"
                    for c, n in zip(colours, names, strict=True)
                )
            )
        else:
            brushes = pg.mkBrush(40, 90, 200, 160)
            self.legend.setText("<small>No labels: one colour.</small>")
        self.scatter.setData(
            x=points[:, 0], y=points[:, 1], data=np.arange(len(points)), brush=brushes
        )
        first, second = (100 * v for v in analysis["variance"])
        self.plot.setLabel("bottom", f"principal direction 1 ({first:.0f}% of the variance)")
        self.plot.setLabel("left", f"principal direction 2 ({second:.0f}% of the variance)")
        if analysis.get("manifold") is not None:
            x0, y0, x1, y1 = analysis["manifold_extent"]
            image = analysis["manifold"]
            self.manifold.setImage(image[..., 0] if image.shape[2] == 1 else image)
            self.manifold.setLevels((0, 255))
            # Row 0 of the image is the top of the plane (largest y): flip into plot space.
            self.manifold.setRect(QRectF(x0, y1, x1 - x0, y0 - y1))
        self.status.setText(
            f"<small>{analysis['source']}, projected onto their two principal directions "
            f"in {analysis['seconds']:.2f} s. Click anywhere to decode that point.</small>"
        )
        self.plot.autoRange()

    # --- pointer -------------------------------------------------------------------------------
    def _hovered(self, _item, points, _event) -> None:
        if len(points) == 0 or self.thumbs is None:
            return
        index = int(points[0].data())
        if index >= len(self.thumbs):
            return
        self.hovered = index
        self.hover.setPixmap(thumbnail_pixmap(self.thumbs[index], 84))
        names = self.info["class_names"] if self.info else []
        if self.labels is not None and names:
            label = names[int(self.labels[index])]
            encoded = self.info["can_encode"]  # test images; else a conditional model's samples
            text = (
                f"test image {index}, labelled {label}"
                if encoded
                else f"sample {index}, drawn as {label}"
            )
        else:
            text = f"sample {index}"
        self.hover_text.setText(text)

    def _scene_clicked(self, event) -> None:
        view = self.plot.getViewBox()
        if self.analysis is None or not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        self.decode_at(point.x(), point.y())

    def decode_at(self, x: float, y: float) -> None:
        self.clicked_at = (x, y)
        self.marker.setData([x], [y])
        self.mark_change()
        self.run_job("click", latent_jobs.plane_point, float(x), float(y))

    def on_result(self, name: str, value: dict[str, Any]) -> None:
        if name == "click":
            self.decoded.show_array(value["image"])
        else:
            super().on_result(name, value)
