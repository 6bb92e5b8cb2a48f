"""Each panel alone, given what it shows: the loss plot, the samples view, the training form,
the status bar and the settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from models.kinds.description import CLASSIFIER
from models.training import reports
from studio.settings import StudioSettings
from studio.status_bar import StudioStatusBar, format_duration
from studio.training.loss_plot import LossPlot, smooth
from studio.training.samples_view import SamplesView
from studio.training.train_panel import TrainPanel


def losses(steps, loss, elapsed):
    return reports.Losses(list(steps), {"loss": list(loss)}, 0, steps[-1], 100, elapsed, 640.0, 3.0)


# --- loss plot --------------------------------------------------------------------------
def test_smoothing_is_debiased_so_it_does_not_lag_at_the_start():
    values = np.array([10.0, 10.0, 10.0, 4.0])
    out, _ = smooth(values, 0.9)
    assert out[0] == 10.0 and out[2] == 10.0  # a plain EMA would start at 1.0
    assert 4.0 < out[3] < 10.0
    # Continuing from the state gives what smoothing everything at once gives.
    head, state = smooth(values[:2], 0.9)
    tail, _ = smooth(values[2:], 0.9, state)
    assert np.allclose(np.concatenate([head, tail]), out)
    # A NaN repeats the last good value instead of poisoning the curve.
    assert np.isfinite(smooth(np.array([1.0, np.nan, 2.0]), 0.5)[0]).all()


def test_loss_plot_curves_axes_and_exports(qtbot, tmp_path):
    plot = LossPlot()
    qtbot.addWidget(plot)
    title = plot.plot.getPlotItem().titleLabel
    assert "Press Train" in title.text and title.isVisible()  # empty axes say what to do
    plot.show_run("run", steps_per_epoch=10)
    plot.add_losses("run", losses([1, 2, 3], [3.0, 2.0, 1.0], 0.3))
    plot.add_losses("run", losses([4, 5], [0.9, 0.8], 0.5))
    plot.add_evaluation("run", reports.Evaluation(5, 0, {"test_loss": 1.5}))
    plot.redraw()
    assert not title.isVisible()  # the curves speak for themselves
    x, y = plot.curve("run", "loss")
    assert list(x) == [1, 2, 3, 4, 5] and list(y) == [3.0, 2.0, 1.0, 0.9, 0.8]
    series = plot.series["run"]
    # The raw curve is drawn faint behind the smoothed one; test metrics are markers.
    assert {("raw", "loss"), ("train", "loss"), ("test", "test_loss")} <= set(series.items)
    # Time is spread over each report's interval, ending at its elapsed time.
    times = series.train["loss"].columns()[1]
    assert times[2] == 0.3 and times[-1] == 0.5 and np.all(np.diff(times) > 0)

    plot.x_axis.setCurrentIndex(plot.x_axis.findData("epoch"))
    assert np.allclose(plot.curve("run", "loss")[0], [0.1, 0.2, 0.3, 0.4, 0.5])
    plot.x_axis.setCurrentIndex(plot.x_axis.findData("time"))
    assert plot.curve("run", "loss")[0][-1] == 0.5
    plot.log_scale.setChecked(True)
    assert plot.plot.plotItem.ctrl.logYCheck.isChecked()
    plot.smoothing.setValue(0.0)
    plot.redraw()
    assert ("raw", "loss") not in series.items  # no smoothing: only the raw curve

    # A resumed run repeats the steps after its checkpoint: they replace, not double.
    plot.add_records("run", [{"step": 4, "time": 0.6, "loss": 0.7}])
    assert list(plot.curve("run", "loss")[1]) == [3.0, 2.0, 1.0, 0.7]

    plot.export_csv(tmp_path / "l.csv")
    lines = (tmp_path / "l.csv").read_text().splitlines()
    assert lines[0] == "run,split,name,step,epoch,time,value"
    assert len(lines) == 1 + 4 + 1
    plot.export_png(tmp_path / "l.png")
    assert Image.open(tmp_path / "l.png").size[0] > 100


# --- samples view -----------------------------------------------------------------------
def test_samples_view_live_grids_history_and_exports(qtbot, headless_run, tmp_path):
    view = SamplesView()
    qtbot.addWidget(view)
    view.show_run(headless_run)
    assert view.all_steps() == [0, 20, 40, 60, 70] and view.current_step() == 70
    view.slider.setValue(1)
    assert view.current_step() == 20 and view.samples.image is not None
    assert view.step_label.text() == "step 20 (grid 2 of 5)"
    # The index is said once, in the step label, not again beside the slider.
    assert view.slider.edgeLabelMode() == view.slider.EdgeLabelMode.NoLabel

    # A live grid arrives while the slider is not at the end: the view stays where it is.
    grid = np.full((30, 40, 1), 200, np.uint8)
    view.add_samples(reports.Samples(80, grid, "", None))
    assert view.current_step() == 20 and 80 in view.all_steps()
    view.slider.setValue(view.slider.maximum())
    assert view.current_step() == 80
    assert view.samples.image.width() == 40  # shown from memory: not on disk
    view.add_samples(reports.Samples(90, np.zeros((30, 40, 3), np.uint8), "", None))
    assert view.current_step() == 90  # at the end, so it follows the new grid

    view.save_grid(tmp_path / "grid.png")
    assert Image.open(tmp_path / "grid.png").size == (40, 30)
    assert view.export_timelapse(tmp_path / "lapse.gif") == 5  # every grid saved on disk
    with Image.open(tmp_path / "lapse.gif") as gif:
        assert gif.n_frames == 5


def test_samples_view_without_a_run_is_empty(qtbot):
    view = SamplesView()
    qtbot.addWidget(view)
    view.show_run(None)
    assert view.current_step() is None
    assert not view.save_button.isEnabled() and not view.gif_button.isEnabled()


# --- training form ----------------------------------------------------------------------
def test_form_is_built_from_the_config_dataclass(qtbot, catalog):
    from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

    panel = TrainPanel()
    qtbot.addWidget(panel)
    assert not panel.train_button.isEnabled()  # nothing to train before the engine is loaded
    panel.set_catalog(catalog)
    assert panel.dataset.currentData() == "mnist-5k"
    names = [panel.dataset.itemData(i) for i in range(panel.dataset.count())]
    assert names[:5] == [d.name for d in catalog.datasets]
    assert names[-2:] == ["__folder__", "__npz__"]  # a folder of images, a NumPy archive
    assert [panel.kind.itemData(i) for i in range(panel.kind.count())] == list(catalog.kinds)
    for info in catalog.kinds["vae"].fields:
        form = panel.advanced_form if info.advanced else panel.basic_form
        found = widget_of(form, info.name)
        assert isinstance(found, QSpinBox if info.type is int else QDoubleSpinBox)
        assert (found.minimum(), found.maximum()) == (info.low, info.high)
        assert found.toolTip().startswith(info.help)
        assert panel.hyperparameters()[info.name] == info.default
    assert panel.advanced_form.rowCount() == 2  # width and hidden, collapsed
    # Absent devices are listed but cannot be chosen.
    for i in range(panel.device.count()):
        name = panel.device.itemData(i)
        enabled = panel.device.model().item(i).isEnabled()
        assert enabled == (name == "auto" or name in catalog.devices_present)
    panel.kind.setCurrentIndex(panel.kind.findData("cnn"))
    assert "latent_dim" not in panel.hyperparameters()
    panel.kind.setCurrentIndex(panel.kind.findData("vae"))
    request = panel.request()
    assert request["kind"] == "vae" and request["fork_from"] is None


def test_every_kind_trains_with_the_command_lines_defaults_from_the_window(qtbot, catalog):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog)
    for kind, entry in catalog.kinds.items():
        panel.kind.setCurrentIndex(panel.kind.findData(kind))
        # Exact: a spin box showing 3 decimals once turned weight decay 5e-4 into 0.001.
        assert panel.hyperparameters() == {f.name: f.default for f in entry.fields}, kind
    panel.kind.setCurrentIndex(panel.kind.findData("cnn"))
    panel.set_hyperparameters({"weight_decay": 0.00025, "learning_rate": 0.0123456})
    assert panel.hyperparameters()["weight_decay"] == 0.00025  # a forked run's finer value
    assert panel.hyperparameters()["learning_rate"] == 0.0123456


def test_forking_an_older_run_keeps_what_it_trained_with(qtbot, catalog, tmp_path):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog)
    # Saved before warps (CNN) and classes (DCGAN) existed: the form must not switch them on.
    older_cnn = {"kind": "cnn", "dataset": {"name": "mnist-5k"},
                 "hyperparameters": {"learning_rate": 0.05, "width": 16}}  # fmt: skip
    panel.prepare_fork(tmp_path / "old-cnn", older_cnn)
    values = panel.hyperparameters()
    assert values["learning_rate"] == 0.05 and values["max_rotation"] == 0.0
    assert values["plain_finish"] == 0.0
    panel.cancel_fork()
    older_gan = {"kind": "dcgan", "dataset": {"name": "mnist-5k"}, "hyperparameters": {}}
    panel.prepare_fork(tmp_path / "old-gan", older_gan)
    assert panel.hyperparameters()["conditional"] is False


def widget_of(form, name):
    for row in range(form.rowCount()):
        item = form.itemAt(row, form.ItemRole.FieldRole)
        label = form.itemAt(row, form.ItemRole.LabelRole)
        if item and label and label.widget().text() == name.replace("_", " ").capitalize():
            return item.widget()
    raise AssertionError(f"no field {name} in this form")


def test_a_dropped_folder_becomes_the_dataset(qtbot, catalog, tmp_path):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog)
    folder = tmp_path / "my images"
    folder.mkdir()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    panel.dropEvent(event)
    assert panel.dataset.currentData() == f"folder:{folder}"
    assert panel.dataset.currentText() == "Folder: my images"


def test_settings_remember_the_form_and_the_window(qtbot, catalog, tmp_path):
    settings = StudioSettings()
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog)
    panel.kind.setCurrentIndex(panel.kind.findData("dcgan"))
    panel.set_hyperparameters({"batch_size": 48})
    panel.seed.setValue(7)
    settings.set_training_choices(panel.choices())
    settings.set_runs_dir(tmp_path / "elsewhere")

    again = TrainPanel()
    qtbot.addWidget(again)
    again.set_catalog(catalog, StudioSettings().training_choices())
    assert again.kind.currentData() == "dcgan" and again.seed.value() == 7
    assert again.hyperparameters()["batch_size"] == 48
    assert StudioSettings().runs_dir() == tmp_path / "elsewhere"


# --- status bar and start-up ------------------------------------------------------------
def test_status_bar_shows_progress_and_notices(qtbot):
    bar = StudioStatusBar()
    qtbot.addWidget(bar)
    assert bar.device_label.text() == "device –"  # the engine is still loading
    bar.show_devices(SimpleNamespace(devices_present=("cpu", "cuda")))
    assert bar.device_label.text() == "CUDA"  # what "auto" will pick
    assert "CPU, CUDA" in bar.device_label.toolTip()
    bar.show_started(reports.Started("/r", {}, "CPU (2 threads)", 100, 10, 0))
    bar.show_losses(losses([1, 2], [1.0, 1.0], 0.1))
    assert bar.device_label.text() == "CPU (2 threads)"
    assert bar.step_label.text() == "epoch 0/10 · step 2/100"
    assert bar.progress.value() == 2 and bar.rate_label.text() == "640 images/s"
    bar.notify("warning", "loss is <NaN>")
    assert "&lt;NaN&gt;" in bar.notice_label.text() and "warning" in bar.notice_label.toolTip()
    assert format_duration(3725) == "1:02:05" and format_duration(None) == "–"


def test_the_window_modules_do_not_import_torch():
    """The window appears before torch is imported: its modules must not pull it in."""
    code = "import sys, studio.app, studio.main_window; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parents[2], check=True)  # fmt: skip
    assert out.stdout.strip() == "False"


def test_the_window_remembers_its_size_and_form(window, qtbot, catalog):
    from studio.main_window import MainWindow

    saved_geometry = window.saveGeometry()
    window.train_panel.epochs.setValue(3)
    window.runs_dock.hide()
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.train_panel.set_catalog(catalog, again.settings.training_choices())
    # (The offscreen screen is smaller than the window, so Qt clamps the size on restore;
    # what is checked is that the geometry was kept and handed back.)
    assert again.settings.window_geometry() == saved_geometry
    assert again.runs_dock.isHidden()  # the layout of the docks came back too
    assert again.train_panel.epochs.value() == 3
    again.close()


# --- numbers that stay true ---------------------------------------------------------------
def test_images_per_second_is_not_shown_while_paused(qtbot):
    bar = StudioStatusBar()
    qtbot.addWidget(bar)
    bar.show_started(reports.Started("/r", {}, "CPU", 100, 10, 0))
    bar.show_losses(losses([1, 2], [1.0, 1.0], 0.1))
    assert "images/s" in bar.rate_label.text()
    bar.show_state("paused")
    assert "images/s" not in bar.rate_label.text() and bar.eta_label.text() == "paused"
    bar.show_losses(losses([3], [1.0], 0.2))  # the report flushed on the way into the pause
    assert "images/s" not in bar.rate_label.text() and bar.eta_label.text() == "paused"
    bar.show_state("running")
    bar.show_losses(losses([4, 5], [1.0, 1.0], 0.3))
    assert "images/s" in bar.rate_label.text()


def test_the_status_bars_eta_holds_steady_through_a_slow_report(qtbot):
    bar = StudioStatusBar()
    qtbot.addWidget(bar)
    bar.show_started(reports.Started("/r", {}, "CPU", 10_000, 100, 0))
    for t in range(1, 1201):  # 10 steps a second for two minutes, a report every 0.1 s
        bar.show_losses(reports.Losses([t], {"loss": [1.0]}, 0, t, 10_000, t * 0.1, 640.0, 880.0))
    steady = (10_000 - 1200) / 10
    assert bar.eta_label.text() == f"ETA {format_duration(steady)}"
    # After one slow report (2 steps in 3 s) the trainer's own estimate says hours; the bar
    # keeps to the pace of the last minute.
    bar.show_losses(reports.Losses([1202], {"loss": [1.0]}, 0, 1202, 10_000, 123.0, 43.0, 9e3))
    minutes, seconds = bar.eta_label.text().removeprefix("ETA ").split(":")
    assert abs(int(minutes) * 60 + int(seconds) - steady) < 0.06 * steady


def test_grid_every_is_hidden_for_kinds_that_make_no_grids(qtbot, catalog):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog)
    panel.show()
    for kind, info in catalog.kinds.items():
        panel.kind.setCurrentIndex(panel.kind.findData(kind))
        draws = not info.has(CLASSIFIER)  # every kind but the classifiers saves image grids
        assert panel.sample_every.isVisible() == draws, kind
        assert panel.settings_form.labelForField(panel.sample_every).isVisible() == draws, kind


def test_the_form_says_how_long_a_run_will_take(qtbot, catalog, tmp_path):
    from fake_runs import fake_run

    from models.training.eta import past_speeds

    fake_run(tmp_path, "20260101-000000-dcgan-mnist-5k", "dcgan", "mnist-5k", "cpu", 240.0)
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog)
    panel.kind.setCurrentIndex(panel.kind.findData("dcgan"))
    panel.epochs.setValue(200)
    assert "no earlier" in panel.estimate.text()  # nothing measured yet, and it says so
    panel.set_speeds(past_speeds(tmp_path))
    assert "about 1 h 20 min for 200 epochs" in panel.estimate.text()
    assert "24 s an epoch" in panel.estimate.text()
    panel.epochs.setValue(10)
    assert "about 4 min for 10 epochs" in panel.estimate.text()
    panel.kind.setCurrentIndex(panel.kind.findData("vae"))  # another kind's pace says nothing
    assert "no earlier" in panel.estimate.text()


def test_the_window_reads_earlier_runs_pace_for_the_form(qtbot, catalog, runs_dir, answer_yes):
    from fake_runs import fake_run
    from studio_helpers import WAIT_MS

    from studio.main_window import MainWindow

    fake_run(runs_dir, "20260101-000000-vae-mnist-5k", "vae", "mnist-5k", "cpu", 20.0)
    win = MainWindow()
    qtbot.addWidget(win)
    win.start_loading()
    qtbot.waitUntil(lambda: "2 s an epoch" in win.train_panel.estimate.text(), timeout=WAIT_MS)
    win.close()


def test_reset_to_defaults(qtbot, catalog):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    remembered = {"kind": "vae", "seed": 7, "epochs_by_kind": {"vae": 2}, "sample_every": 5,
                  "hyperparameters": {"vae": {"beta": 4.0, "hidden": 16}}}  # fmt: skip
    panel.set_catalog(catalog, remembered)
    assert panel.hyperparameters()["beta"] == 4.0 and panel.epochs.value() == 2
    panel.reset_button.click()
    info = catalog.kinds["vae"]
    assert panel.hyperparameters() == {f.name: f.default for f in info.fields}
    assert panel.epochs.value() == info.default_epochs
    assert (panel.seed.value(), panel.sample_every.value()) == (0, 100)
    assert panel.choices()["hyperparameters"]["vae"]["beta"] == 1.0  # remembered as reset


def test_dark_theme_follows_the_system(qtbot, window):
    import pyqtgraph as pg
    from PySide6.QtCore import Qt as QtNS
    from PySide6.QtWidgets import QApplication

    from studio.theme import SchemeFollower, is_dark, notice_colour

    app = QApplication.instance()
    follower = SchemeFollower(app)
    plots = window.findChildren(pg.GraphicsView)
    assert plots
    try:
        follower.apply(QtNS.ColorScheme.Dark)  # what colorSchemeChanged delivers
        assert is_dark(app.palette())
        for view in plots:
            brush = view.backgroundBrush()
            if brush.style() != QtNS.BrushStyle.NoBrush:
                assert brush.color().lightness() < 128, view
        window.status.notify("error", "a message")
        assert notice_colour("error", app.palette()) in window.status.notice_label.text()
        light = app.style().standardPalette()
        assert notice_colour("error", light) not in window.status.notice_label.text()
        axis = window.loss_plot.findChildren(pg.PlotWidget)[0].getPlotItem().getAxis("bottom")
        assert axis.pen().color().lightness() > 128  # light text on the dark plot
    finally:
        follower.apply(QtNS.ColorScheme.Light)
        app.styleHints().colorSchemeChanged.disconnect(follower.apply)
    assert not is_dark(app.palette())


def test_a_kind_never_run_here_can_be_timed_before_train(qtbot, catalog):
    from studio_helpers import WAIT_MS

    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog)
    panel.show()
    panel.kind.setCurrentIndex(panel.kind.findData("cnn"))
    panel.set_hyperparameters({"batch_size": 64, "width": 4})
    panel.epochs.setValue(30)
    estimate = panel.estimate
    assert "no earlier" in estimate.text() and estimate.time_button.isVisible()
    qtbot.mouseClick(estimate.time_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "quick timing" in estimate.text(), timeout=WAIT_MS)
    estimate.shutdown()
    assert "for 30 epochs" in estimate.text() and not estimate.time_button.isVisible()
    (speed,) = estimate.timed
    assert speed.kind == "cnn" and speed.seconds_per_epoch > 0
