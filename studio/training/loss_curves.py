"""The numbers behind the loss plot: each run's curves, grown in place as reports arrive, the
smoothing drawn over them, and the quality measurements with what models/analysis/quality/
collapse.py says of them. No Qt here."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from models.analysis.quality.collapse import CollapseWatch
from models.analysis.quality.history import measurement_of

NOT_CURVES = {"step", "epoch", "time", "split", "quality"}


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
        self.quality: dict[str, Curve] = {}  # figure name -> its measurements
        self.class_names: tuple[str, ...] = ()  # for the collapse warning; a live report's
        self.watch: CollapseWatch | None = None
        self.collapse: str | None = None  # the collapse warning standing now, if any
        self.last_time = 0.0
        self.last_step = 0
        self.items: dict[tuple[str, str], Any] = {}  # drawn items, made by the plot

    def add(self, records: list[dict[str, Any]]) -> None:
        rows: dict[tuple[str, str], list] = {}
        for record in records:
            split = "test" if record.get("split") == "test" else "train"
            step = float(record.get("step", 0))
            t = float(record.get("time", math.nan))
            for key, value in record.items():
                if key not in NOT_CURVES and isinstance(value, (int, float)):
                    rows.setdefault((split, key), []).append((step, t, float(value)))
            measurement = measurement_of(record)
            if measurement is not None:
                for name, value in measurement.figures.items():
                    rows.setdefault(("quality", name), []).append((step, t, value))
                self._watch(measurement)
        tables = {"train": self.train, "test": self.test, "quality": self.quality}
        for (split, key), points in rows.items():
            tables[split].setdefault(key, Curve()).extend(points)
        if records:
            self.last_step = int(records[-1].get("step", self.last_step))
            self.last_time = float(records[-1].get("time", self.last_time) or 0.0)

    def _watch(self, measurement) -> None:
        """The warning stands from the measurement that raised it until one that is fine."""
        shares = measurement.class_shares
        if self.watch is None:
            names = self.class_names
            if len(names) != len(shares):
                names = tuple(str(i) for i in range(len(shares)))  # a reopened run's classes
            self.watch = CollapseWatch(names)
        warnings = self.watch.check(measurement.step, measurement.figures, shares)
        if warnings:
            self.collapse = warnings[-1]
        elif not (self.watch.share_warned or self.watch.recall_warned):
            self.collapse = None


def quality_to_records(report: Any) -> list[dict[str, Any]]:
    """A Quality report as the record metrics.jsonl keeps of it, so a run looks the same live
    and reopened."""
    quality = {**report.figures, "class_shares": list(report.class_shares)}
    return [{"step": report.step, "epoch": report.epoch, "time": report.elapsed,
             "quality": quality}]  # fmt: skip


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
