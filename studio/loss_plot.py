"""Live loss curves: one curve per reported loss, test metrics as markers, several runs overlaid."""

from __future__ import annotations

import csv
import math
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

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
OVERLAY_STYLES = (Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
NOT_CURVES = {"step", "epoch", "time", "split"}
REDRAW_INTERVAL_MS = 200  # reports arrive at most ~10/s; 5 redraws/s look live and cost half


def smooth(values: np.ndarray, weight: float, state=(0.0, 0, math.nan)):
    """Exponential moving average divided by (1 - weight**n), TensorBoard's debiasing: without
    it the average starts at zero and the curve lags far below the data for the first steps.
    Returns the smoothed values and the state to continue from, so live updates only smooth
    the new points."""
    out = np.empty(len(values))
    average, count, last = state
    for i, value in enumerate(values.tolist()):
        if math.isfinite(value):
            average = weight * average + (1.0 - weight) * value
            count += 1
            last = average / (1.0 - weight**count) if weight < 1 else value
        out[i] = last  # a non-finite value repeats the last good point instead of a gap
    return out, (average, count, last)


class Curve:
    """The points of one loss of one run: step, wall time and value, grown in place."""

    def __init__(self) -> None:
        self.data = np.empty((3, 256))
        self.size = 0
        self._smoothed: tuple | None = None  # weight, points done, result, EMA state

    def smoothed(self, weight: float) -> np.ndarray:
        values = self.data[2, : self.size]
        cached = self._smoothed
        if cached is None or cached[0] != weight:
            out, state = smooth(values, weight)
        else:
            _, done, previous, state = cached
            tail, state = smooth(values[done:], weight, state)
            out = np.concatenate([previous, tail])
        self._smoothed = (weight, self.size, out, state)
        return out

    def extend(self, rows: list[tuple[float, float, float]]) -> None:
        if not rows:
            return
        first = rows[0][0]
        if self.size and first <= self.data[0, self.size - 1]:
            # A resumed run redoes the steps after its checkpoint: drop our copy of them.
            self.size = int(np.searchsorted(self.data[0, : self.size], first))
            self._smoothed = None
        needed = self.size + len(rows)
        if needed > self.data.shape[1]:
            grown = np.empty((3, max(needed, 2 * self.data.shape[1])))
            grown[:, : self.size] = self.data[:, : self.size]
            self.data = grown
        self.data[:, self.size : needed] = np.asarray(rows, dtype=float).T
        self.size = needed

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        steps, times, values = self.data[:, : self.size]
        return steps, times, values


class Series:
    """Everything plotted for one run."""

    def __init__(self, name: str, steps_per_epoch: float | None, index: int):
        self.name = name
        self.steps_per_epoch = steps_per_epoch
        self.index = index  # 0 = the run in focus (solid lines), >0 = an overlay
        self.train: dict[str, Curve] = {}
        self.test: dict[str, Curve] = {}
        self.last_time = 0.0
        self.last_step = 0
        self.items: dict[tuple[str, str], pg.PlotDataItem] = {}

    def add(self, records: list[dict[str, Any]]) -> None:
        rows: dict[tuple[str, str], list] = {}
        for record in records:
            split = "test" if record.get("split") == "test" else "train"
            step = float(record.get("step", 0))
            t = float(record.get("time", math.nan))
            for key, value in record.items():
                if key not in NOT_CURVES and isinstance(value, (int, float)):
                    rows.setdefault((split, key), []).append((step, t, float(value)))
        for (split, key), points in rows.items():
            table = self.test if split == "test" else self.train
            table.setdefault(key, Curve()).extend(points)
        if records:
            self.last_step = int(records[-1].get("step", self.last_step))
            self.last_time = float(records[-1].get("time", self.last_time) or 0.0)


def losses_to_records(report: Any, last_time: float) -> list[dict[str, Any]]:
    """A Losses report holds many steps but one elapsed time: spread the steps evenly over
    the time since the previous report, so the time axis has no staircase."""
    count = len(report.steps)
    span = max(report.elapsed - last_time, 0.0)
    records = []
    for i, step in enumerate(report.steps):
        record = {"step": step, "time": report.elapsed - span * (count - 1 - i) / max(count, 1)}
        for name, values in report.values.items():
            record[name] = values[i]
        records.append(record)
    return records


EMPTY_HINT = "Press Train (Ctrl+Return) or open a run below to see its loss curves"


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.series: dict[str, Series] = {}
        self.names: list[str] = []  # loss names in order of appearance, for stable colours
        self.plot = pg.PlotWidget(background=None)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.addLegend(offset=(-10, 10))
        self.plot.setLabel("left", "loss")
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
        layout.addWidget(self.plot, 1)
        layout.addLayout(controls)

        self._redraw_timer = QTimer(self, singleShot=True, interval=REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self.smoothing.valueChanged.connect(self._schedule)
        self.x_axis.currentIndexChanged.connect(self._schedule)
        self.log_scale.toggled.connect(self._set_log)
        self.reset_button.clicked.connect(lambda: self.plot.enableAutoRange())
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

    def _color(self, loss: str) -> str:
        if loss not in self.names:
            self.names.append(loss)
        return COLORS[self.names.index(loss) % len(COLORS)]

    def redraw(self) -> None:
        self._redraw_timer.stop()
        weight = float(self.smoothing.value())
        self.plot.setLabel("bottom", self.x_axis.currentText())
        for series in self.series.values():
            style = (
                OVERLAY_STYLES[(series.index - 1) % 3] if series.index else Qt.PenStyle.SolidLine
            )
            prefix = f"{series.name}: " if series.index else ""
            for loss, curve in series.train.items():
                color = self._color(loss)
                x, values = self._x(series, curve), curve.columns()[2]
                if weight > 0 and series.index == 0:
                    faint = pg.mkColor(color)
                    faint.setAlpha(60)
                    self._item(series, ("raw", loss), pen=pg.mkPen(faint)).setData(x, values)
                else:
                    self._drop(series, ("raw", loss))
                smoothed = curve.smoothed(weight) if weight > 0 else values
                pen = pg.mkPen(color, width=2, style=style)
                self._item(series, ("train", loss), pen=pen, name=prefix + loss).setData(
                    x, smoothed
                )
            for metric, curve in series.test.items():
                color = self._color(metric.removeprefix("test_"))  # same colour as its loss
                label = metric if metric.startswith("test") else f"test {metric}"
                item = self._item(
                    series, ("test", metric), pen=None, symbol="o", symbolSize=9,
                    symbolBrush=color, name=prefix + label,
                )  # fmt: skip
                item.setData(self._x(series, curve), curve.columns()[2])
        self._show_hint()

    def _show_hint(self) -> None:
        """Empty axes say how to fill them; the hint goes with the first values."""
        has_values = any(series.train or series.test for series in self.series.values())
        self.plot.setTitle(None if has_values else EMPTY_HINT, size="10pt")

    def _item(self, series: Series, key: tuple[str, str], **style: Any) -> pg.PlotDataItem:
        """Items are made once and then given new data: recreating them each redraw would
        rebuild the legend ten times a second."""
        item = series.items.get(key)
        if item is None:
            item = pg.PlotDataItem(**style)
            # Peak downsampling keeps spikes visible while long runs still draw quickly.
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
            self.plot.addItem(item)
            series.items[key] = item
        return item

    def _drop(self, series: Series, key: tuple[str, str]) -> None:
        item = series.items.pop(key, None)
        if item is not None:
            self.plot.removeItem(item)

    def _remove_items(self, series: Series) -> None:
        for key in list(series.items):
            self._drop(series, key)

    def _set_log(self, on: bool) -> None:
        self.plot.setLogMode(x=False, y=on)

    def curve(self, series: str, loss: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """The x values and raw values of one curve, as plotted (for export and tests)."""
        s = self.series[series]
        c = (s.test if split == "test" else s.train)[loss]
        return self._x(s, c), c.columns()[2]

    # --- export -------------------------------------------------------------------------
    def export_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["run", "split", "name", "step", "epoch", "time", "value"])
            for series in self.series.values():
                for split, table in (("train", series.train), ("test", series.test)):
                    for name, curve in table.items():
                        steps, times, values = curve.columns()
                        spe = series.steps_per_epoch
                        for step, t, value in zip(steps, times, values, strict=True):
                            epoch = "" if not spe else f"{step / spe:.4f}"
                            writer.writerow([series.name, split, name, int(step), epoch, t, value])

    def export_png(self, path: str | Path) -> None:
        from pyqtgraph.exporters import ImageExporter

        self.redraw()
        ImageExporter(self.plot.plotItem).export(str(path))

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
