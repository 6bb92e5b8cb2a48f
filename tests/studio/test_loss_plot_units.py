"""The loss plot as a person reads it: each unit on a plot of its own, each metric in a colour and
marker its name gives it (the same live and reopened), legends above the curves, never on them."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from models.training import reports
from studio.training.loss_plot import LossPlot
from studio.training.metric_style import (
    KNOWN_METRICS,
    LOSS,
    PERCENT,
    QUALITY,
    RATE,
    colour_of,
    unit_of,
)


def cnn_records(steps=range(1, 21)):
    """What a classifier run reports: loss, accuracy (0..1) and learning rate per step."""
    return [
        {"step": s, "time": s / 10, "loss": 2.0 / s, "accuracy": 0.5 + s / 50, "lr": 0.01 * s}
        for s in steps
    ]


def cnn_evaluation(step=20):
    return reports.Evaluation(step, 0, {"test_loss": 0.2, "test_accuracy": 0.93})


def shown_cnn(qtbot, plot: LossPlot | None = None, live: bool = True) -> LossPlot:
    plot = plot or LossPlot()
    qtbot.addWidget(plot)
    plot.resize(560, 540)
    plot.show()
    plot.show_run("cnn", steps_per_epoch=10)
    if live:
        for record in cnn_records():
            names = [k for k in record if k not in ("step", "time")]
            losses = reports.Losses(
                [record["step"]], {n: [record[n]] for n in names}, 0, record["step"], 20,
                record["time"], 640.0, 2.0,
            )  # fmt: skip
            plot.add_losses("cnn", losses)
        plot.add_evaluation("cnn", cnn_evaluation())
    else:  # reopened: the same numbers, read back from metrics.jsonl
        test = {"step": 20, "time": 2.0, "split": "test", **cnn_evaluation().metrics}
        plot.add_records("cnn", [*cnn_records(), test])
    plot.redraw()
    return plot


def pen_colour(item: pg.PlotDataItem) -> str:
    return pg.mkPen(item.opts["pen"]).color().name()


def marker(item: pg.PlotDataItem) -> tuple[str, str]:
    return item.opts["symbol"], pg.mkBrush(item.opts["symbolBrush"]).color().name()


def test_loss_plot_accuracy_has_its_own_axis_and_colour(qtbot):
    plot = shown_cnn(qtbot)
    items = plot.series["cnn"].items
    panes = plot.panes
    loss_view = panes[LOSS.key].plot.getViewBox()
    percent_view = panes[PERCENT.key].plot.getViewBox()
    rate_view = panes[RATE.key].plot.getViewBox()
    # Each unit on a plot of its own, its axis saying what the numbers are.
    assert items[("train", "loss")].getViewBox() is loss_view
    assert items[("test", "test_loss")].getViewBox() is loss_view
    assert items[("train", "accuracy")].getViewBox() is percent_view
    assert items[("test", "test_accuracy")].getViewBox() is percent_view
    assert items[("train", "lr")].getViewBox() is rate_view
    assert panes[LOSS.key].plot.getAxis("left").labelText == "loss"
    assert panes[PERCENT.key].plot.getAxis("left").labelText == "accuracy (%)"
    assert panes[RATE.key].plot.getAxis("left").labelText == "rate"
    assert "learning rate" in panes[RATE.key].legend.text()
    for key in (LOSS.key, PERCENT.key, RATE.key):
        assert panes[key].widget.isVisibleTo(plot)
    assert not panes[QUALITY.key].widget.isVisibleTo(plot)  # nothing of that unit yet
    # Accuracy is drawn in percent: the test marker of 0.93 sits at 93.
    assert items[("test", "test_accuracy")].yData[-1] == 93.0
    assert max(items[("train", "accuracy")].yData) > 1.0
    # Loss and accuracy in different colours; each test marker in its curve's colour, the
    # two markers of different shapes.
    loss_colour, accuracy_colour = (
        pen_colour(items[("train", "loss")]),
        pen_colour(items[("train", "accuracy")]),
    )
    assert loss_colour != accuracy_colour
    loss_symbol, loss_brush = marker(items[("test", "test_loss")])
    accuracy_symbol, accuracy_brush = marker(items[("test", "test_accuracy")])
    assert loss_brush == loss_colour and accuracy_brush == accuracy_colour
    assert loss_symbol != accuracy_symbol
    # Only the lowest plot names the horizontal axis; the x axes move together.
    assert panes[RATE.key].plot.getPlotItem().getAxis("bottom").label.isVisible()
    assert not panes[LOSS.key].plot.getPlotItem().getAxis("bottom").isVisible()
    assert percent_view.linkedView(pg.ViewBox.XAxis) is loss_view


def test_loss_plot_colours_are_the_same_live_and_reopened(qtbot):
    live = LossPlot()
    qtbot.addWidget(live)
    # Another run seen first in the session used to take the first colours.
    live.show_run("vae")
    live.add_records("vae", [{"step": 1, "time": 0.1, "reconstruction": 9.0, "kl": 1.0}])
    live.redraw()
    shown_cnn(qtbot, live, live=True)
    reopened = shown_cnn(qtbot, LossPlot(), live=False)
    for key in (("train", "loss"), ("train", "accuracy"), ("train", "lr")):
        assert pen_colour(live.series["cnn"].items[key]) == pen_colour(
            reopened.series["cnn"].items[key]
        )
    for key in (("test", "test_loss"), ("test", "test_accuracy")):
        assert marker(live.series["cnn"].items[key]) == marker(reopened.series["cnn"].items[key])


def test_loss_plot_legend_sits_above_the_curves_with_overlays_too(qtbot):
    plot = shown_cnn(qtbot)
    plot.add_overlay("older", [*cnn_records(range(1, 11)), {
        "step": 10, "time": 1.0, "split": "test", "test_loss": 0.4, "test_accuracy": 0.8,
    }])  # fmt: skip
    plot.redraw()
    for pane in plot.panes.values():
        # No legend item inside a plot, where it would hide curves...
        assert pane.plot.getPlotItem().legend is None
        if not pane.widget.isVisibleTo(plot):
            continue
        # ...but a line of text above it, naming each metric in its colour.
        assert pane.legend.geometry().bottom() < pane.plot.geometry().top()
    legend = plot.panes[PERCENT.key].legend.text()
    assert "accuracy" in legend and colour_of("accuracy") in legend
    assert "test_accuracy" in legend and "loss" not in legend
    # The runs are told apart by line style, and the legend says which is which.
    assert plot.runs_legend.isVisibleTo(plot)
    assert "cnn" in plot.runs_legend.text() and "older" in plot.runs_legend.text()
    focus, overlay = plot.series["cnn"].items, plot.series["older"].items
    assert pg.mkPen(focus[("train", "loss")].opts["pen"]).style() == Qt.PenStyle.SolidLine
    assert pg.mkPen(overlay[("train", "loss")].opts["pen"]).style() != Qt.PenStyle.SolidLine
    assert overlay[("test", "test_loss")].opts["symbolBrush"] is None  # hollow: the overlay's
    assert overlay[("train", "accuracy")].getViewBox() is plot.panes[PERCENT.key].plot.getViewBox()
    plot.remove_series("older")
    plot.redraw()
    assert not plot.runs_legend.isVisibleTo(plot)


def test_metric_units_and_colours_come_from_the_name():
    assert unit_of("accuracy") is PERCENT and unit_of("test_d_accuracy") is PERCENT
    assert unit_of("lr") is RATE and unit_of("learning_rate") is RATE
    assert unit_of("test_fid") is QUALITY
    for name in ("loss", "test_loss", "kl", "reconstruction", "loss_d", "something_new"):
        assert unit_of(name) is LOSS
    assert len({colour_of(name) for name in KNOWN_METRICS}) == len(KNOWN_METRICS)
    assert colour_of("test_kl") == colour_of("kl")
    assert colour_of("something_new") == colour_of("something_new")
