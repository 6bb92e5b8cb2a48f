"""What the run history shows of each run, read from the runs folder, and how its figures read
in the table. Plain file reads and no Qt: the window reads on a thread of its own
(studio/runs/folder_io.py) and hands the GUI thread these plain values."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

from models.analysis.quality.figures import BY_NAME
from models.analysis.quality.history import Measurement, QualityReader, QualitySummary
from models.runs.folder import RunSummary, list_runs
from models.runs.notes import RunDetails, read_details

NO_QUALITY = QualitySummary()


class ListedRun(NamedTuple):
    summary: RunSummary
    details: RunDetails  # its notes and parent
    quality: QualitySummary  # what the quality monitor measured of it


Listing = list[ListedRun]


def read_listing(runs_dir: Path, quality: QualityReader | None = None) -> Listing:
    """Every run with its notes, parent and quality summary; `quality` remembers how far each
    run's metrics were read, so a read every few seconds reads only what was added."""
    listed = list_runs(runs_dir, include_damaged=True)  # damaged ones say why, last
    reader = quality or QualityReader()
    entries = []
    for summary in listed:
        figures = NO_QUALITY if summary.damage else reader.summary(summary.path)
        entries.append(ListedRun(summary, read_details(summary.path), figures))
    reader.forget_others({summary.path for summary in listed})
    return entries


def state_text(summary: RunSummary) -> str:
    return f"damaged: {summary.damage}" if summary.damage else summary.state


def number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def describe_best(summary: RunSummary) -> str:
    if summary.best_name is None or summary.best_value is None:
        return ""
    return f"{summary.best_name} {number(summary.best_value)}"


def figures_text(measurement: Measurement) -> str:
    return " ".join(f"{name}={number(value)}" for name, value in measurement.figures.items())


def quality_text(quality: QualitySummary) -> str:
    """The table's Quality column: the best FID and the step it was measured at."""
    best = quality.best
    if best is None:
        return ""
    return f"FID {number(best.figures['fid'])} @ {best.step}"


def quality_tip(quality: QualitySummary) -> str:
    if quality.count == 0:
        return "No quality measured (a generative run measures it while training)"
    lines = [f"{quality.count} quality measurement(s). FID: lower is better."]
    if quality.best is not None:
        lines.append(f"Best FID at step {quality.best.step}: {figures_text(quality.best)}")
    if quality.last is not None and quality.last is not quality.best:
        lines.append(f"Last, at step {quality.last.step}: {figures_text(quality.last)}")
    return "\n".join(lines)


def direction(figure: str) -> str:
    info = BY_NAME.get(figure)
    if info is None:
        return ""
    return "higher is better" if info.higher_is_better else "lower is better"
