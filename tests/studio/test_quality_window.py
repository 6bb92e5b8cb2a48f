"""The window shows what the quality monitor measures: quality curves beside the losses while a
run trains and when one is reopened, and a warning on the Training page when collapse.py says
the generator is collapsing (its samples nearly all one class)."""

from __future__ import annotations

import json
import shutil

from studio_helpers import WAIT_MS, open_run_and_wait

from models.analysis.quality.collapse import CollapseWatch
from models.training import reports
from studio.training.metric_style import COVERAGE, QUALITY

CLASSES = tuple(str(i) for i in range(10))
ONE_CLASS = (0.937,) + (0.007,) * 9  # nearly every sample is a "0"


def figures(fid: float, shares) -> dict[str, float]:
    return {"fid": fid, "kid": fid / 50, "precision": 0.8, "recall": 0.3,
            "class_max": max(shares), "class_entropy": 0.2, "spread": 0.4}  # fmt: skip


def test_a_collapsing_run_warns_on_the_training_page(window, qtbot):
    plot = window.loss_plot
    assert not plot.collapse_banner.isVisibleTo(window)
    measured = figures(6.0, ONE_CLASS)
    # What the monitor sends for samples that are nearly all one digit: collapse.py's verdict
    # with the Quality report, then the same words as a Notice.
    warnings = tuple(CollapseWatch(CLASSES).check(700, measured, ONE_CLASS))
    assert warnings  # collapse.py says so
    report = reports.Quality(700, 10, 60.0, measured, CLASSES, ONE_CLASS, 1000, 0.5, warnings)
    window.session._dispatch(report)
    for warning in warnings:
        window.session._dispatch(reports.Notice("warning", warning))
    qtbot.waitUntil(lambda: plot.collapse_banner.isVisibleTo(window), timeout=WAIT_MS)
    assert "'0'" in plot.collapse_banner.text() and "mode collapse" in plot.collapse_banner.text()
    assert window.pages.currentIndex() == 0  # on the Training page, above the curves
    assert "mode collapse" in window.status.notice_label.text()
    # The measurement is a point on the quality curves, beside the losses.
    series = next(iter(plot.series.values()))
    assert ("quality", "fid") in series.items
    assert plot.panes[QUALITY.key].widget.isVisibleTo(window)


def test_a_reopened_run_whose_samples_are_one_class_shows_its_curves_and_the_warning(
    window, qtbot, headless_run, runs_dir
):
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = shutil.copytree(headless_run, runs_dir / headless_run.name)
    fair = (0.1,) * 10
    records = [
        {"step": 20, "epoch": 0, "time": 1.0,
         "quality": {**figures(40.0, fair), "class_shares": list(fair), "samples": 1000}},
        {"step": 60, "epoch": 0, "time": 3.0,
         "quality": {**figures(9.0, ONE_CLASS), "class_shares": list(ONE_CLASS)}},
    ]  # fmt: skip
    with open(path / "metrics.jsonl", "a") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in records))
    open_run_and_wait(qtbot, window, path)
    plot = window.loss_plot
    qtbot.waitUntil(lambda: plot.collapse_banner.isVisibleTo(window), timeout=WAIT_MS)
    series = plot.series[path.name]
    assert list(series.quality["fid"].columns()[2]) == [40.0, 9.0]
    qtbot.waitUntil(lambda: plot.panes[COVERAGE.key].widget.isVisibleTo(window), timeout=WAIT_MS)
    assert "FID (lower is better)" in plot.panes[QUALITY.key].legend.text()
