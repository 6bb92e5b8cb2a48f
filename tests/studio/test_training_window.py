"""Training through the real buttons: start, pause, resume, stop, and closing mid-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from studio_helpers import WAIT_MS, run_folder_is_complete, set_tiny

from models.runs.folder import Run


def points(window) -> int:
    series = window.loss_plot.series.get(window._name)
    return series.train["loss"].size if series and "loss" in series.train else 0


def status(path: str) -> dict:
    return json.loads((Path(path) / "status.json").read_text())


def test_train_to_the_end_updates_curves_grids_and_status(window, qtbot, runs_dir):
    panel = window.train_panel
    set_tiny(panel)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.run_dir is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.session.busy, timeout=WAIT_MS)

    run_dir = Path(window.session.run_dir)
    assert run_dir.parent == runs_dir
    assert window.session.state == "completed"
    run_folder_is_complete(run_dir)
    assert window.opened == str(run_dir)
    window.loss_plot.redraw()
    series = window.loss_plot.series[run_dir.name]
    assert set(series.train) >= {"loss", "reconstruction", "kl"}
    assert series.train["loss"].size == 70  # every step of the epoch, none twice
    assert "test_loss" in series.test  # the end-of-epoch evaluation is a marker
    # A VAE both samples and reconstructs: both grids shown, at every saved step.
    view = window.samples_view
    assert view.all_steps() == [step for step, _ in Run(run_dir).grid_steps()]
    assert view.samples.image is not None and view.reconstructions.image is not None
    assert view.current_step() == 70
    # Buttons back to idle, status bar shows the end.
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    assert window.status.progress.isHidden()
    assert "images/s" in window.status.rate_label.text() or window.status.eta_label.text()
    # The runs panel lists the new run, newest first.
    window.runs_panel.refresh()
    window.runs_panel.settle()
    assert window.runs_panel.summaries[0].path == run_dir


def test_pause_resume_and_stop_with_the_buttons(window, qtbot):
    panel, session = window.train_panel, window.session
    set_tiny(panel, epochs=50)  # long enough that it is still going when we press the buttons
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert not panel.train_button.isEnabled()
    qtbot.waitUntil(lambda: session.state == "running" and points(window) > 0, timeout=WAIT_MS)

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.state == "paused", timeout=WAIT_MS)
    assert panel.pause_button.text() == "Resume" and panel.pause_button.isEnabled()
    assert status(session.run_dir)["state"] == "paused"
    paused_at = points(window)
    qtbot.wait(300)  # paused really means no steps are taken
    assert points(window) == paused_at

    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.state == "running", timeout=WAIT_MS)
    assert panel.pause_button.text() == "Pause"
    qtbot.waitUntil(lambda: points(window) > paused_at, timeout=WAIT_MS)

    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not session.busy, timeout=WAIT_MS)
    assert session.state == "stopped"
    run_dir = Path(session.run_dir)
    run_folder_is_complete(run_dir)
    saved = status(run_dir)
    assert saved["state"] == "stopped"
    # The checkpoint is at the last step shown, so a resume loses nothing.
    series = window.loss_plot.series[run_dir.name]
    assert saved["step"] == int(series.train["loss"].columns()[0][-1])
    assert panel.train_button.isEnabled()


CTRL = Qt.KeyboardModifier.ControlModifier


def test_keyboard_shortcuts_drive_the_same_controls(window, qtbot):
    panel, session = window.train_panel, window.session
    set_tiny(panel, epochs=50)
    window.activateWindow()
    qtbot.keyClick(panel, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: session.state == "running", timeout=WAIT_MS)
    # Window-wide: the keys work whichever pane has the focus.
    qtbot.keyClick(window.runs_panel.tree, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: session.state == "paused", timeout=WAIT_MS)
    assert window.run_actions.pause.text() == "&Resume"
    qtbot.keyClick(window.loss_plot, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: session.state == "running", timeout=WAIT_MS)
    qtbot.keyClick(window.samples_view, Qt.Key.Key_Period, CTRL)
    qtbot.waitUntil(lambda: not session.busy, timeout=WAIT_MS)
    assert session.state == "stopped"


def test_escape_in_a_form_field_does_not_stop_training(window, qtbot):
    panel, session = window.train_panel, window.session
    set_tiny(panel, epochs=50)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.state == "running" and points(window) > 0, timeout=WAIT_MS)
    window.activateWindow()
    window.pages.setCurrentWidget(window.classify_panel)
    field = window.classify_panel.top_k  # a spin box a person may be typing in meanwhile
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Escape)  # leaves the field's edit, not the run
    qtbot.keyClick(field, Qt.Key.Key_Space)  # typed into the field, not a pause
    before = points(window)
    qtbot.waitUntil(lambda: points(window) > before + 5, timeout=WAIT_MS)
    assert session.state == "running" and session.busy
    # The run keys carry Ctrl, so they work from the same field.
    qtbot.keyClick(field, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: session.state == "paused", timeout=WAIT_MS)
    qtbot.keyClick(field, Qt.Key.Key_Period, CTRL)
    qtbot.waitUntil(lambda: not session.busy, timeout=WAIT_MS)
    assert session.state == "stopped"


def test_closing_during_training_stops_and_checkpoints(window, qtbot):
    panel, session = window.train_panel, window.session
    set_tiny(panel, epochs=50)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.state == "running" and points(window) > 0, timeout=WAIT_MS)
    run_dir = Path(session.run_dir)

    assert window.close()  # the confirmation is answered Yes by the fixture
    assert not session.busy  # close returned only after the worker finished
    run_folder_is_complete(run_dir)
    assert status(run_dir)["state"] == "stopped"


def test_closing_can_be_cancelled(window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    panel, session = window.train_panel, window.session
    set_tiny(panel, epochs=50)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.state == "running", timeout=WAIT_MS)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert not window.close()
    assert session.busy and window.isVisible()
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not session.busy, timeout=WAIT_MS)


def test_a_training_error_is_a_notice_not_a_traceback(window, qtbot, tmp_path):
    panel, session = window.train_panel, window.session
    set_tiny(panel)
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    panel.add_folder(empty)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not session.busy and session.state != "idle", timeout=WAIT_MS)
    assert session.state == "failed"
    assert window.status.notices and window.status.notices[-1][1] == "error"
    assert panel.train_button.isEnabled()


@pytest.mark.parametrize("kind", ["dcgan", "cnn"])
def test_other_kinds_train_in_the_window(window, qtbot, kind):
    panel, session = window.train_panel, window.session
    panel.kind.setCurrentIndex(panel.kind.findData(kind))
    panel.set_hyperparameters({"batch_size": 64, "width": 8})
    panel.epochs.setValue(1)
    panel.sample_every.setValue(20)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.run_dir is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not session.busy, timeout=WAIT_MS)
    assert session.state == "completed"
    assert points(window) > 0 or window.loss_plot.series[window._name].train
    view = window.samples_view
    if kind == "dcgan":  # generates but does not encode: samples only
        assert view.samples.image is not None and not view.steps["reconstructions"]
    else:  # a classifier draws nothing, and says so
        assert view.samples.image is None and "no images" in view.samples.text()
        assert "test_accuracy" in window.loss_plot.series[window._name].test


def test_the_status_bar_names_the_device_before_any_run(window):
    present = window.train_panel.catalog.devices_present
    expected = "CUDA" if "cuda" in present else "Apple MPS" if "mps" in present else "CPU"
    assert window.status.device_label.text() == expected


def test_the_device_label_follows_a_run_whose_thread_share_changes(window):
    from models.training import reports

    # What a CPU run reports when the run beside it ends (tests/models/test_cpu_share.py).
    window.session._dispatch(reports.DeviceChanged("CPU (2 threads)"))
    assert window.status.device_label.text() == "CPU (2 threads)"


def test_a_resumed_run_of_another_kind_shows_its_own_form(window, qtbot, runs_dir):
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    hyper = {"batch_size": 64, "width": 8, "latent_dim": 8}
    trainer = Trainer(TrainRequest("dcgan", "mnist-5k", hyper, epochs=5, runs_dir=runs_dir))
    for report in trainer.run():
        if isinstance(report, reports.Losses):
            trainer.stop()  # stopped early: a resume continues it
    run_dir = str(trainer.run_folder.path)
    panel = window.train_panel
    assert panel.kind.currentData() == "vae"  # the form is on another kind
    set_tiny(panel)
    mine = panel.hyperparameters()
    window.resume_run(run_dir)
    qtbot.waitUntil(lambda: window.session.run_dir == run_dir and window.opened == run_dir,
                    timeout=WAIT_MS)  # fmt: skip
    qtbot.waitUntil(lambda: panel.kind.currentData() == "dcgan", timeout=WAIT_MS)
    shown = panel.hyperparameters()
    assert {k: shown[k] for k in hyper} == hyper and not panel.form.isEnabled()
    assert not panel.sample_every.isHidden()
    window.session.stop()
    qtbot.waitUntil(lambda: not window.session.busy, timeout=WAIT_MS)
    # The run is over: the form is the person's again.
    assert panel.kind.currentData() == "vae" and panel.hyperparameters() == mine
    assert panel.form.isEnabled()
