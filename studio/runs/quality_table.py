"""The quality rows of the runs' comparison: each run's best FID with its step, every other
figure of that same measurement (one measurement, so the figures belong together), and the
last FID; and the comparison written as CSV. No Qt here."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from models.analysis.quality.figures import FIGURES
from models.analysis.quality.history import QualitySummary
from models.runs.atomic import atomic_write_bytes
from studio.runs.listing import direction, number

MISSING = "–"
BEST = "quality.best FID (lower is better)"
LAST = "quality.last FID"
COUNT = "quality.measurements"
QUALITY_TIPS = {
    BEST: "The lowest FID measured while training, and the step it was measured at",
    LAST: "The FID of the last measurement, and its step",
    COUNT: "How many times the quality monitor measured the run",
    **{f"quality.{f.name} ({direction(f.name)})": f"{f.help} (at the best FID's step)"
       for f in FIGURES},
}  # fmt: skip


def _at(value: float | None, step: int) -> str:
    return f"{number(value)} @ step {step}"


def quality_rows(summaries: list[QualitySummary]) -> list[tuple[str, list[str]]]:
    """(row name, text per run); none when no run was measured."""
    if not any(summary.count for summary in summaries):
        return []
    rows = [(BEST, [_at(s.best.figures.get("fid"), s.best.step) if s.best else MISSING
                    for s in summaries])]  # fmt: skip
    for figure in [f for f in FIGURES if f.name != "fid"]:  # FID has the row above
        values = []
        for summary in summaries:
            value = summary.best.figures.get(figure.name) if summary.best else None
            values.append(MISSING if value is None else number(value))
        rows.append((f"quality.{figure.name} ({direction(figure.name)})", values))
    rows.append((LAST, [_at(s.last.figures.get("fid"), s.last.step) if s.last else MISSING
                        for s in summaries]))  # fmt: skip
    rows.append((COUNT, [str(summary.count) for summary in summaries]))
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """All at once or not at all: a half-written file never replaces an earlier export."""
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    atomic_write_bytes(Path(path), text.getvalue().encode("utf-8"))
