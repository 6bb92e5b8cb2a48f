"""Live curves of a run: one plot per unit (losses; the quality of generated images, FID and
precision/recall; accuracies in %; the learning rate), each metric in the colour and marker its
name gives it, test metrics as markers, and several runs overlaid in line styles of their own.
Legends sit above the plots, never on them. A banner above them says when the run in focus
looks like it is collapsing (models/analysis/quality/collapse.py decides)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from studio.theme import notice_colour
from studio.training.loss_curves import (
    Curve,
    Series,
    losses_to_records,
    quality_to_records,
    smooth,
)
from studio.training.metric_style import (
    LOSS,
    UNITS,
    axis_label,
    base_name,
    colour_of,
    legend_name,
    quality_colour,
    quality_legend,
    quality_unit,
    symbol_of,
    unit_of,
)
from studio.training.plot_panes import LegendLabel, Pane, line_style, swatch

__all__ = ["LossPlot", "smooth"]

REDRAW_INTERVAL_MS = 200  # reports arrive at most ~10/s; 5 redraws/s look live and cost half
MARKER_SIZE = 9
QUALITY_MARKER_SIZE = 6  # a measurement is a point on its curve, not a test marker
EMPTY_HINT = "Press Train (Ctrl+Return) or open a run below to see its loss curves"


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series: dict[str, Series] = {}
        # One plot per unit, top to bottom; a plot shows once a metric of its unit arrives.
        self.panes: dict[str, Pane] = {}
        self.canvas = QWidget()  # the plots and their legends: what "Plot as PNG" saves
        stack = QVBoxLayout(self.canvas)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.setSpacing(4)
        self.runs_legend = LegendLabel()
        self.runs_legend.hide()
        stack.addWidget(self.runs_legend)
        # Outside the canvas's stretch factors: a word-wrapped label may take what it needs.
        self.collapse_banner = QLabel()
        self.collapse_banner.setObjectName("collapse-banner")
        self.collapse_banner.setWordWrap(True)
        self.collapse_banner.setTextFormat(Qt.TextFormat.PlainText)
        self.collapse_banner.setToolTip(
            "The quality monitor's class histogram or recall says the generator makes fewer "
            "kinds of image than the data has (mode collapse)"
        )
        self.collapse_banner.hide()
        for unit in UNITS:
            first = self.panes.get(LOSS.key)
            pane = self.panes[unit.key] = Pane(unit, None if first is None else first.plot)
            pane.widget.setVisible(unit is LOSS)
            stack.addWidget(pane.widget, unit.stretch)
        self.plot = self.panes[LOSS.key].plot  # the losses: always shown, says how to begin
        self._show_hint()

        self.smoothing = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0.0, 0.99)
        self.smoothing.setMinimumWidth(80)
        self.smoothing.setValue(0.6)
        self.smoothing.setToolTip("Exponential moving average weight (0 = raw values)")
        self.log_scale = QCheckBox("Log scale")
        self.x_axis = QComboBox()
        for label, key in (("Step", "step"), ("Epoch", "epoch"), ("Time (s)", "time")):
            self.x_axis.addItem(label, key)
        self.x_axis.setToolTip("What the horizontal axis counts")
        self.reset_button = QPushButton("Reset zoom")
        self.reset_button.setToolTip("Back to the whole run (drag to pan, wheel to zoom)")
        # One button with a menu keeps the row narrow enough for a small laptop screen.
        self.export_button = QToolButton(text="Export", popupMode=QToolButton.InstantPopup)
        self.csv_action = QAction("Values as CSV...", self)
        self.png_action = QAction("Plot as PNG...", self)
        self.export_button.addActions([self.csv_action, self.png_action])

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing, 1)
        controls.addWidget(self.log_scale)
        controls.addWidget(self.x_axis)
        controls.addWidget(self.reset_button)
        controls.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.collapse_banner)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(controls)

        self._redraw_timer = QTimer(self, singleShot=True, interval=REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self.smoothing.valueChanged.connect(self._schedule)
        self.x_axis.currentIndexChanged.connect(self._schedule)
        self.log_scale.toggled.connect(self._set_log)
        self.reset_button.clicked.connect(self.reset_zoom)
        self.csv_action.triggered.connect(self._ask_csv)
        self.png_action.triggered.connect(self._ask_png)

    # --- data ---------------------------------------------------------------------------
    def show_run(self, name: str, steps_per_epoch: float | None = None) -> None:
        """Make `name` the run in focus, dropping other runs except overlays asked for."""
        for other in [s for s in self.series if s != name and self.series[s].index == 0]:
            self.remove_series(other)
        if name not in self.series:
            self.series[name] = Series(name, steps_per_epoch, 0)
        elif steps_per_epoch:
            self.series[name].steps_per_epoch = steps_per_epoch
        self._schedule()

    def add_overlay(self, name: str, records: list[dict[str, Any]], steps_per_epoch=None) -> None:
        if name not in self.series:
            index = 1 + sum(1 for s in self.series.values() if s.index > 0)
            self.series[name] = Series(name, steps_per_epoch, index)
        self.add_records(name, records)

    def remove_series(self, name: str) -> None:
        series = self.series.pop(name, None)
        if series is not None:
            self._remove_items(series)
            self._schedule()  # its legend entries go too

    def clear(self) -> None:
        for name in list(self.series):
            self.remove_series(name)

    def add_records(self, name: str, records: list[dict[str, Any]]) -> None:
        if name not in self.series:
            self.show_run(name)
        self.series[name].add(records)
        self._schedule()

    def add_losses(self, name: str, report: Any) -> None:
        if name not in self.series:
            self.show_run(name)
        self.add_records(name, losses_to_records(report, self.series[name].last_time))

    def add_evaluation(self, name: str, report: Any) -> None:
        """A reports.Evaluation: test metrics become markers at the step they were taken."""
        if name not in self.series:
            self.show_run(name)
        record = {"step": report.step, "time": self.series[name].last_time, "split": "test"}
        self.add_records(name, [{**record, **report.metrics}])

    def add_quality(self, name: str, report: Any) -> None:
        """A reports.Quality: points on the quality curves, and its collapse warnings."""
        if name not in self.series:
            self.show_run(name)
        series = self.series[name]
        series.class_names = tuple(report.class_names)
        self.add_records(name, quality_to_records(report))
        if report.warnings:  # the monitor's own verdict, which knew the run's earlier best
            series.collapse = report.warnings[-1]

    # --- drawing ------------------------------------------------------------------------
    def _schedule(self, *_: object) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _x(self, series: Series, curve: Curve) -> np.ndarray:
        steps, times, _ = curve.columns()
        key = self.x_axis.currentData()
        if key == "time":
            return times
        if key == "epoch" and series.steps_per_epoch:
            return steps / series.steps_per_epoch
        return steps

    def redraw(self) -> None:
        self._redraw_timer.stop()
        weight = float(self.smoothing.value())
        for pane in self.panes.values():
            pane.metrics = []
            pane.quality = []
        for series in self.series.values():
            for name, curve in series.train.items():
                self._draw_train(series, name, curve, weight)
            for metric, curve in series.test.items():
                self._draw_test(series, metric, curve)
            for figure, curve in series.quality.items():
                self._draw_quality(series, figure, curve)
        self._arrange()
        self._show_hint()
        self._show_collapse()

    def _pane(self, metric: str) -> Pane:
        pane = self.panes[unit_of(metric).key]
        if base_name(metric) not in pane.metrics:
            pane.metrics.append(base_name(metric))
        return pane

    def _draw_train(self, series: Series, name: str, curve: Curve, weight: float) -> None:
        pane, colour = self._pane(name), colour_of(name)
        scale = pane.unit.scale
        x, values = self._x(series, curve), curve.columns()[2]
        if weight > 0 and series.index == 0:
            faint = pg.mkColor(colour)
            faint.setAlpha(60)
            raw = self._item(series, ("raw", name), pane, pen=pg.mkPen(faint))
            raw.setData(x, values * scale)
        else:
            self._drop(series, ("raw", name))
        smoothed = curve.smoothed(weight) if weight > 0 else values
        pen = pg.mkPen(colour, width=2, style=line_style(series)[0])
        self._item(series, ("train", name), pane, pen=pen).setData(x, smoothed * scale)

    def _draw_test(self, series: Series, metric: str, curve: Curve) -> None:
        """A marker in its curve's colour, shaped by the metric; an overlaid run's are hollow."""
        pane, colour = self._pane(metric), colour_of(metric)
        brush = colour if series.index == 0 else None
        item = self._item(
            series, ("test", metric), pane, pen=None, symbol=symbol_of(metric)[0],
            symbolSize=MARKER_SIZE, symbolBrush=brush, symbolPen=pg.mkPen(colour, width=1.5),
        )  # fmt: skip
        item.setData(self._x(series, curve), curve.columns()[2] * pane.unit.scale)

    def _draw_quality(self, series: Series, figure: str, curve: Curve) -> None:
        """Measurements are sparse: drawn unsmoothed, a point at each, joined by a line."""
        unit = quality_unit(figure)
        if unit is None:
            return
        pane, colour = self.panes[unit.key], quality_colour(figure)
        if figure not in pane.quality:
            pane.quality.append(figure)
        item = self._item(
            series, ("quality", figure), pane, symbol="o", symbolSize=QUALITY_MARKER_SIZE,
            pen=pg.mkPen(colour, width=2, style=line_style(series)[0]),
            symbolBrush=colour if series.index == 0 else None, symbolPen=pg.mkPen(colour),
        )  # fmt: skip
        item.setData(self._x(series, curve), curve.columns()[2] * unit.scale)

    def _show_collapse(self) -> None:
        """The warning of the run in focus, shown for as long as it stands."""
        focus = next((s for s in self.series.values() if s.index == 0), None)
        warning = focus.collapse if focus is not None else None
        if warning:
            text = f"⚠ {warning}"
            if text != self.collapse_banner.text():
                self.collapse_banner.setText(text)
            colour = (
                notice_colour("warning", self.palette()) or self.palette().text().color().name()
            )
            self.collapse_banner.setStyleSheet(
                f"QLabel#collapse-banner {{ color: {colour}; border: 1px solid {colour};"
                " border-radius: 3px; padding: 4px; font-weight: bold; }"
            )
        self.collapse_banner.setVisible(bool(warning))

    def _arrange(self) -> None:
        """Show the plots that have something to show, label their axes, write the legends;
        only the lowest plot names the horizontal axis."""
        shown = [p for p in self.panes.values() if p.metrics or p.quality or p.unit is LOSS]
        for pane in self.panes.values():
            # Labels are set only when they change: a redraw comes five times a second.
            bottom = self.x_axis.currentText() if pane is shown[-1] else None
            looks = (pane in shown, axis_label(pane.unit, pane.metrics + pane.quality), bottom)
            if looks != pane.looks:
                pane.looks = looks
                pane.widget.setVisible(looks[0])
                pane.plot.setLabel("left", looks[1])
                # The plots share their steps: only the lowest draws that axis, the others
                # give its height to their curves.
                item = pane.plot.getPlotItem()
                if bottom is None:
                    item.hideAxis("bottom")
                else:
                    item.showAxis("bottom")
                    item.setLabel("bottom", bottom)
            pane.set_legend(self._legend(pane))
        overlaid = any(s.index for s in self.series.values())
        text = self.palette().text().color().name()
        runs = [swatch(text, line_style(s)[1], s.name) for s in self.series.values()]
        self.runs_legend.set_entries(runs if overlaid else [])

    def _legend(self, pane: Pane) -> list[tuple[str, str]]:
        entries = []
        for name in pane.metrics:
            colour = colour_of(name)
            if any(name in s.train for s in self.series.values()):
                entries.append(swatch(colour, "━━", legend_name(name)))
            test = f"test_{name}"
            if any(test in s.test for s in self.series.values()):
                entries.append(swatch(colour, symbol_of(name)[1], legend_name(test)))
        for figure in pane.quality:
            entries.append(swatch(quality_colour(figure), "━●━", quality_legend(figure)))
        return entries

    def _show_hint(self) -> None:
        """Empty axes say how to fill them; the hint goes with the first values."""
        has_values = any(s.train or s.test or s.quality for s in self.series.values())
        self.plot.setTitle(None if has_values else EMPTY_HINT, size="10pt")

    def _item(self, series: Series, key: tuple[str, str], pane: Pane, **style: Any):
        """Items are made once and then given new data: recreating them each redraw would
        cost more than the drawing."""
        item = series.items.get(key)
        if item is not None and item.getViewBox() is not pane.plot.getViewBox():
            self._drop(series, key)
            item = None
        if item is None:
            item = pg.PlotDataItem(**style)
            # Peak downsampling keeps spikes visible while long runs still draw quickly.
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
            pane.plot.addItem(item)
            series.items[key] = item
        return item

    def _drop(self, series: Series, key: tuple[str, str]) -> None:
        item = series.items.pop(key, None)
        if item is None:
            return
        for pane in self.panes.values():
            if item in pane.plot.getPlotItem().items:
                pane.plot.removeItem(item)

    def _remove_items(self, series: Series) -> None:
        for key in list(series.items):
            self._drop(series, key)

    def _set_log(self, on: bool) -> None:
        for pane in self.panes.values():
            if pane.unit.log_scale:
                pane.plot.setLogMode(x=False, y=on)

    def reset_zoom(self) -> None:
        for pane in self.panes.values():
            pane.plot.enableAutoRange()

    def curve(self, series: str, loss: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """The x values and raw values of one curve, as plotted (for export and tests)."""
        s = self.series[series]
        c = {"test": s.test, "quality": s.quality}.get(split, s.train)[loss]
        return self._x(s, c), c.columns()[2]

    # --- export -------------------------------------------------------------------------
    def export_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["run", "split", "name", "step", "epoch", "time", "value"])
            for series in self.series.values():
                tables = (("train", series.train), ("test", series.test),
                          ("quality", series.quality))  # fmt: skip
                for split, table in tables:
                    for name, curve in table.items():
                        steps, times, values = curve.columns()
                        spe = series.steps_per_epoch
                        for step, t, value in zip(steps, times, values, strict=True):
                            epoch = "" if not spe else f"{step / spe:.4f}"
                            writer.writerow([series.name, split, name, int(step), epoch, t, value])

    def export_png(self, path: str | Path) -> None:
        """Every plot shown, with its legend, as the window draws them."""
        self.redraw()
        if not self.canvas.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export loss values", "losses.csv", "CSV (*.csv)"
        )
        if path:
            self.export_csv(path)

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "losses.png", "PNG (*.png)")
        if path:
            self.export_png(path)
