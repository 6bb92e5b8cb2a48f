"""The style job's losses, plotted live as the iterations come in (log scale: the style loss
falls by orders of magnitude)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

CURVES = (("style", "Style loss", "#d62728"), ("content", "Content loss", "#1f77b4"),
          ("total", "Total", "#7f7f7f"))  # fmt: skip


class StyleLossChart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLogMode(x=False, y=True)
        self.plot.setLabel("bottom", "iteration")
        self.plot.setLabel("left", "loss (relative to its target)")
        self.plot.addLegend(offset=(-10, 10))
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.steps: list[int] = []
        self.values: dict[str, list[float]] = {key: [] for key, _, _ in CURVES}
        self.curves = {
            key: self.plot.plot([], [], name=title, pen=pg.mkPen(colour, width=2))
            for key, title, colour in CURVES
        }
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.setMinimumHeight(100)

    def clear(self) -> None:
        self.steps.clear()
        for key in self.values:
            self.values[key].clear()
            self.curves[key].setData([], [])

    def add(self, step: int, content: float, style: float, total: float) -> None:
        self.steps.append(step)
        for key, value in (("content", content), ("style", style), ("total", total)):
            self.values[key].append(value)
        steps = np.asarray(self.steps)
        for key, curve in self.curves.items():
            values = np.asarray(self.values[key], dtype=float)
            # A log axis cannot show zero (the content loss of the first iteration): a gap.
            values[values <= 0] = np.nan
            curve.setData(steps, values, connect="finite")

    def points(self) -> int:
        """How many iterations the curves hold (what the plot shows, for checks)."""
        x, _ = self.curves["style"].getData()
        return 0 if x is None else len(x)
