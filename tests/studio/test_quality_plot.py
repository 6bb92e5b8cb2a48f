"""The quality monitor's figures in the loss plot: FID on a plot of its own that says lower is
better, precision and recall on another in % that says higher is better, the same live and
reopened from metrics.jsonl, and a banner while collapse.py says the run is collapsing."""

from __future__ import annotations

import csv

from models.training import reports
from studio.training.loss_plot import LossPlot
from studio.training.metric_style import COVERAGE, LOSS, PERCENT, QUALITY

CLASSES = tuple(str(i) for i in range(10))
FAIR = (0.1,) * 10
ONE_CLASS = (0.91,) + (0.01,) * 9  # what a generator that draws one digit gets


def quality_report(step, fid, precision=0.6, recall=0.5, shares=FAIR, warnings=()):
    figures = {"fid": fid, "kid": fid / 100, "precision": precision, "recall": recall,
               "class_max": max(shares), "spread": 0.8}  # fmt: skip
    return reports.Quality(step, step // 70, step / 10, figures, CLASSES, shares, 1000, 0.5,
                           tuple(warnings))  # fmt: skip


def as_records(report):
    """The record the monitor writes to metrics.jsonl for the same measurement."""
    quality = {**report.figures, "class_shares": list(report.class_shares), "samples": 1000,
               "seconds": 0.5}  # fmt: skip
    return {"step": report.step, "epoch": report.epoch, "time": report.elapsed, "quality": quality}


LOSSES = [{"step": s, "time": s / 10, "loss_d": 1.0, "loss_g": 2.0, "d_real": 0.7}
          for s in range(1, 301)]  # fmt: skip
MEASURED = [quality_report(100, 40.0), quality_report(200, 20.0), quality_report(300, 9.0)]


def shown(qtbot, live: bool) -> LossPlot:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 700)
    plot.show()
    plot.show_run("gan", steps_per_epoch=70)
    if live:
        plot.add_records("gan", LOSSES)
        for report in MEASURED:
            plot.add_quality("gan", report)
    else:
        plot.add_records("gan", LOSSES + [as_records(r) for r in MEASURED])
    plot.redraw()
    return plot


def test_quality_curves_have_their_own_axes_saying_which_way_is_better(qtbot):
    plot = shown(qtbot, live=True)
    items, panes = plot.series["gan"].items, plot.panes
    fid, recall = items[("quality", "fid")], items[("quality", "recall")]
    assert fid.getViewBox() is panes[QUALITY.key].plot.getViewBox()
    assert items[("quality", "precision")].getViewBox() is panes[COVERAGE.key].plot.getViewBox()
    assert recall.getViewBox() is panes[COVERAGE.key].plot.getViewBox()
    for key in (LOSS.key, QUALITY.key, COVERAGE.key, PERCENT.key):
        assert panes[key].widget.isVisibleTo(plot)
    # FID falls: the axis and the legend say that is the good way; recall is drawn in %.
    assert panes[QUALITY.key].plot.getAxis("left").labelText == "FID"
    assert "FID (lower is better)" in panes[QUALITY.key].legend.text()
    coverage = panes[COVERAGE.key]
    assert coverage.plot.getAxis("left").labelText == "%"
    assert "precision (higher is better)" in coverage.legend.text()
    assert "recall (higher is better)" in coverage.legend.text()
    # A run whose samples look like no data (0 %) is not zoomed into a flat line.
    assert coverage.plot.getViewBox().state["limits"]["yLimits"] == [-2.0, 102.0]
    low, high = coverage.plot.getViewBox().viewRange()[1]
    assert high - low >= 50 and low >= -2.0  # recall at a constant 50 %: not a zoom into it
    assert list(fid.xData) == [100, 200, 300] and list(fid.yData) == [40.0, 20.0, 9.0]
    assert list(recall.yData) == [50.0, 50.0, 50.0]
    # KID and the class figures are kept (exported), not drawn.
    assert "kid" in plot.series["gan"].quality and ("quality", "kid") not in items
    # The loss plot stays the losses' own.
    assert "FID" not in panes[LOSS.key].legend.text()


def test_quality_curves_are_the_same_live_and_reopened(qtbot, tmp_path):
    live, reopened = shown(qtbot, live=True), shown(qtbot, live=False)
    for figure in ("fid", "precision", "recall"):
        a = live.series["gan"].items[("quality", figure)]
        b = reopened.series["gan"].items[("quality", figure)]
        assert list(a.xData) == list(b.xData) and list(a.yData) == list(b.yData)
        assert a.opts["pen"] == b.opts["pen"]
    # A step axis in epochs moves the measurements along with the losses.
    reopened.x_axis.setCurrentIndex(reopened.x_axis.findData("epoch"))
    reopened.redraw()
    x = reopened.series["gan"].items[("quality", "fid")].xData
    assert abs(x[0] - 100 / 70) < 1e-9
    path = tmp_path / "values.csv"
    reopened.export_csv(path)
    rows = list(csv.reader(path.open()))
    assert ["gan", "quality", "fid", "300", "4.2857", "30.0", "9.0"] in rows
    assert any(row[1:3] == ["quality", "kid"] for row in rows)


def test_a_collapse_warning_stands_above_the_curves_until_it_passes(qtbot):
    plot = shown(qtbot, live=True)
    assert not plot.collapse_banner.isVisibleTo(plot)
    # Nine in ten samples are one digit, and they look like digits: collapse.py says so.
    plot.add_quality("gan", quality_report(400, 8.0, precision=0.8, shares=ONE_CLASS))
    plot.redraw()
    assert plot.collapse_banner.isVisibleTo(plot)
    assert "'0'" in plot.collapse_banner.text() and "collaps" in plot.collapse_banner.text()
    assert plot.collapse_banner.geometry().bottom() <= plot.canvas.geometry().top()
    plot.add_quality("gan", quality_report(500, 8.5, precision=0.8, shares=ONE_CLASS))
    plot.redraw()
    assert plot.collapse_banner.isVisibleTo(plot)  # still collapsed: the warning stays
    plot.add_quality("gan", quality_report(600, 7.0, precision=0.8))
    plot.redraw()
    assert not plot.collapse_banner.isVisibleTo(plot)  # the classes are back in balance


def test_the_monitors_own_verdict_is_shown(qtbot):
    """The monitor knew the run's best recall before this session; its warning is shown."""
    plot = shown(qtbot, live=True)
    said = "Step 400: recall fell to 0.10 from its best of 0.60 (step 100): ... (mode collapse)."
    plot.add_quality("gan", quality_report(400, 30.0, recall=0.1, warnings=[said]))
    plot.redraw()
    assert plot.collapse_banner.isVisibleTo(plot) and said in plot.collapse_banner.text()


def test_a_reopened_run_that_collapsed_shows_the_warning(qtbot):
    plot = shown(qtbot, live=False)
    collapsed = quality_report(400, 8.0, precision=0.8, shares=ONE_CLASS)
    plot.add_records("gan", [as_records(collapsed)])
    plot.redraw()
    assert plot.collapse_banner.isVisibleTo(plot)
    # An overlaid run's warning is not the run in focus's.
    other = LossPlot()
    qtbot.addWidget(other)
    other.show()
    other.show_run("fine")
    other.add_records("fine", LOSSES + [as_records(r) for r in MEASURED])
    other.add_overlay("collapsed", [as_records(collapsed)])
    other.redraw()
    assert not other.collapse_banner.isVisibleTo(other)
