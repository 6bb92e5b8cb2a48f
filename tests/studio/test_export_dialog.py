"""The runs panel's Export... button: a dialog that exports the selected run on a thread of its
own and shows the check against PyTorch, or the one-line reason it could not."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import tqdm
from studio_helpers import WAIT_MS

from studio.runs.export_dialog import ExportDialog
from studio.runs.runs_panel import RunsPanel


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory) -> Path:
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    root = tmp_path_factory.mktemp("export-runs")
    request = TrainRequest("cnn", "mnist-5k", {"batch_size": 64, "width": 8}, epochs=1,
                           sample_every=50, runs_dir=root)  # fmt: skip
    seen = list(Trainer(request).run())
    # torch's ONNX exporter shows progress with tqdm, whose monitor thread lives on after an
    # export (a daemon of tqdm's, not a worker of the studio's): none is started in the tests.
    previous = tqdm.tqdm.monitor_interval
    tqdm.tqdm.monitor_interval = 0
    yield Path(next(r for r in seen if isinstance(r, reports.Started)).run_dir)
    tqdm.tqdm.monitor_interval = previous


def test_export_runs_off_the_gui_thread_and_shows_the_check(qtbot, cnn_run, tmp_path):
    dialog = ExportDialog(None, str(cnn_run))
    qtbot.addWidget(dialog)
    target = tmp_path / "digits.onnx"
    dialog.output.setText(str(target))
    threads: list[str] = []
    dialog.show()
    dialog.start()
    dialog.job.said.connect(lambda _: threads.append(threading.current_thread().name))
    assert dialog.busy and not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: bool(dialog.summary or dialog.error), timeout=WAIT_MS)
    dialog.wait()
    assert dialog.error == ""
    assert "max difference" in dialog.summary and "same top class for 500/500" in dialog.summary
    assert target.exists()
    assert "Done:" in dialog.result.text()
    assert "max difference" in dialog.log.toPlainText()
    assert threads and all(name == "MainThread" for name in threads)  # delivered, not called


def test_a_refused_export_says_why_and_writes_nothing(qtbot, headless_run, tmp_path):
    dialog = ExportDialog(None, str(headless_run))  # a run that does not classify
    qtbot.addWidget(dialog)
    dialog.output.setText(str(tmp_path / "vae.onnx"))
    dialog.int8.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.summary or dialog.error), timeout=WAIT_MS)
    dialog.wait()
    assert "does not classify images" in dialog.error
    assert "Not exported" in dialog.result.text()
    assert not (tmp_path / "vae.onnx").exists()


def test_torchscript_turns_off_int8_and_changes_the_suffix(qtbot, tmp_path):
    dialog = ExportDialog(None, str(tmp_path / "some-run"))
    qtbot.addWidget(dialog)
    dialog.int8.setChecked(True)
    dialog.format.setCurrentText("TorchScript")
    assert not dialog.int8.isEnabled() and not dialog.int8.isChecked()
    assert dialog.output.text().endswith(".pt")


def test_the_runs_panel_opens_the_dialog_for_the_selected_run(qtbot, cnn_run):
    panel = RunsPanel(cnn_run.parent)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT_MS)
    assert not panel.buttons["export"].isEnabled()
    panel.select(cnn_run)
    assert panel.buttons["export"].isEnabled()
    panel.buttons["export"].click()
    assert isinstance(panel.dialog, ExportDialog)
    assert panel.dialog.run_path == str(cnn_run)
    panel.dialog.close()
    panel.shutdown()


def test_without_the_optional_packages_the_dialog_names_the_extra(qtbot, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_deploy(name, *args, **kwargs):
        if name == "models.deploy.export":
            raise ModuleNotFoundError("No module named 'onnx'", name="onnx")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_deploy)
    dialog = ExportDialog(None, str(tmp_path / "some-run"))
    qtbot.addWidget(dialog)
    dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.summary or dialog.error), timeout=WAIT_MS)
    dialog.wait()
    assert "pip install 'image-studio[serve]'" in dialog.error
