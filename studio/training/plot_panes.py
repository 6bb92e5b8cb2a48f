"""The pieces the loss plot stacks: one plot per unit with its legend above it, the legend
text that flows into lines, and the line styles that tell overlaid runs apart."""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from studio.training.loss_curves import Series
from studio.training.metric_style import RATE, Unit

# The run in focus is drawn solid; overlaid runs in these styles, with the text a legend shows.
FOCUS_STYLE = (Qt.PenStyle.SolidLine, "━━")
OVERLAY_STYLES = (
    (Qt.PenStyle.DashLine, "╍╍"),
    (Qt.PenStyle.DotLine, "┅┅"),
    (Qt.PenStyle.DashDotLine, "━·━"),
)
LEFT_AXIS_WIDTH = 56  # pixels: room for the ticks and the axis label
MIN_PLOT_HEIGHT = 80  # pixels


def line_style(series: Series) -> tuple[Qt.PenStyle, str]:
    if series.index == 0:
        return FOCUS_STYLE
    return OVERLAY_STYLES[(series.index - 1) % len(OVERLAY_STYLES)]


def swatch(colour: str, text: str, name: str) -> tuple[str, str]:
    """A legend entry: as rich text, and as the plain text whose width it takes."""
    return f"<span style='color:{colour}'>{text}</span>&nbsp;{html.escape(name)}", f"{text} {name}"


class LegendLabel(QLabel):
    """Legend entries in lines that fit the width. Broken into lines here rather than by word
    wrap: a word-wrapping label has a height for each width, and a layout holding one gives
    its plots equal heights instead of the units' shares."""

    GAP = "&nbsp;&nbsp;&nbsp;"

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[str, str]] = []
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setContentsMargins(6, 0, 6, 0)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_entries(self, entries: list[tuple[str, str]]) -> None:
        if entries == self.entries and self.isHidden() == (not entries):
            return
        self.entries = entries
        self.setVisible(bool(entries))
        self._flow()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._flow()

    def _flow(self) -> None:
        metrics, room = self.fontMetrics(), max(self.contentsRect().width(), 1)
        lines: list[list[str]] = [[]]
        used = 0
        for rich, plain in self.entries:
            width = metrics.horizontalAdvance(plain + "   ")
            if lines[-1] and used + width > room:
                lines.append([])
                used = 0
            lines[-1].append(rich)
            used += width
        text = "<br>".join(self.GAP.join(line) for line in lines)
        if text != self.text():
            self.setText(text)


class Pane:
    """One plot of the stack: the metrics of one unit, its legend above it."""

    def __init__(self, unit: Unit, x_link: pg.PlotWidget | None):
        self.unit = unit
        self.widget = QWidget()
        self.legend = LegendLabel()
        self.plot = pg.PlotWidget(background=None)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("left", unit.axis)
        # Room for the axis label written along it, and under the lowest plot for the steps.
        self.plot.setMinimumHeight(MIN_PLOT_HEIGHT)
        # The same axis width on every plot keeps their steps one above the other.
        self.plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        # "x0.001" after "learning rate" would not fit beside a plot; its ticks say it.
        # A bounded scale (percent) is never zoomed into a flat line's noise either: showing
        # at least half of it, with ticks in its own units.
        bounded = unit.y_limits is not None
        self.plot.getAxis("left").enableAutoSIPrefix(unit.key != RATE.key and not bounded)
        if bounded:
            low, high = unit.y_limits
            self.plot.setLimits(yMin=low, yMax=high, minYRange=(high - low) / 2)
        if x_link is not None:
            self.plot.setXLink(x_link)  # one zoom or pan moves every plot along the steps
        # Heights follow the units' stretch factors, not the plots' size hints; a policy that
        # ignores size hints ignores the children's minimums too, so it is set here.
        self.widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.widget.setMinimumHeight(MIN_PLOT_HEIGHT + self.legend.fontMetrics().height())
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        self.metrics: list[str] = []  # base names drawn here, in order of appearance
        self.quality: list[str] = []  # quality figures drawn here
        self.looks: tuple = ()  # shown, axis label, x label: what was last set

    def set_legend(self, entries: list[tuple[str, str]]) -> None:
        self.legend.set_entries(entries)
