"""A run's quality measurements as metrics.jsonl keeps them (models/analysis/quality/monitor.py
writes one record per measurement, its figures under "quality"), and the summary the run
history shows: the best FID with its step, and the last measurement. Plain file reads and no
torch, so any thread may call it; the window calls it off its GUI thread."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.runs.folder import Run


@dataclass(frozen=True)
class Measurement:
    step: int
    epoch: int
    time: float  # training time of the run when measured, in seconds
    figures: dict[str, float]
    class_shares: tuple[float, ...] = ()


@dataclass(frozen=True)
class QualitySummary:
    count: int = 0  # measurements made
    best: Measurement | None = None  # the one with the lowest finite FID
    last: Measurement | None = None


def measurement_of(record: dict[str, Any]) -> Measurement | None:
    """The measurement a metrics.jsonl record holds, or None for any other record."""
    quality = record.get("quality")
    if not isinstance(quality, dict):
        return None
    figures = {
        name: float(value)
        for name, value in quality.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        and name not in ("samples", "seconds")
    }  # fmt: skip
    shares = quality.get("class_shares")
    if not isinstance(shares, list) or not all(isinstance(s, (int, float)) for s in shares):
        shares = []
    try:
        step, epoch = int(record.get("step", 0)), int(record.get("epoch", 0))
        time = float(record.get("time", math.nan))
    except (TypeError, ValueError):
        return None
    return Measurement(step, epoch, time, figures, tuple(float(s) for s in shares))


def _better(new: Measurement, best: Measurement | None) -> bool:
    fid = new.figures.get("fid", math.nan)
    if not math.isfinite(fid):
        return False
    return best is None or fid < best.figures.get("fid", math.inf)


def summarize(records: list[dict[str, Any]], start: QualitySummary | None = None) -> QualitySummary:
    """The summary of `records`, continuing `start` (the records before them)."""
    count, best, last = (start.count, start.best, start.last) if start else (0, None, None)
    for record in records:
        measurement = measurement_of(record)
        if measurement is None:
            continue
        count += 1
        last = measurement
        if _better(measurement, best):
            best = measurement
    return QualitySummary(count, best, last)


@dataclass
class _Progress:
    identity: tuple[int, int]  # device and inode of metrics.jsonl when last read
    offset: int
    summary: QualitySummary


@dataclass
class QualityReader:
    """Summaries of many runs, read again every few seconds: each run's metrics.jsonl is read
    on from where the last read ended, since it only grows. A resumed run rewrites the file
    (a new inode) or a shorter one replaces it: then it is read from its start. One thread at
    a time may use a reader."""

    progress: dict[Path, _Progress] = field(default_factory=dict)

    def summary(self, run_dir: Path) -> QualitySummary:
        run = Run(Path(run_dir))
        try:
            info = os.stat(run.metrics_path)
        except OSError:
            self.progress.pop(run.path, None)
            return QualitySummary()
        identity = (info.st_dev, info.st_ino)
        known = self.progress.get(run.path)
        if known is None or known.identity != identity or info.st_size < known.offset:
            known = _Progress(identity, 0, QualitySummary())
        records, offset = run.read_metrics(known.offset)
        known = _Progress(identity, offset, summarize(records, known.summary))
        self.progress[run.path] = known
        return known.summary

    def forget_others(self, kept: set[Path]) -> None:
        """Drop what is remembered of runs no longer listed."""
        for path in [p for p in self.progress if p not in kept]:
            del self.progress[path]
