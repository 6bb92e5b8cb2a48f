"""Training runs on one machine share its CPU cores."""

import json
import os
import subprocess
import sys

import pytest
import torch

from models.runs.folder import now_iso
from models.training import reports
from models.training.cpu_share import fair_threads, other_training_processes
from tests.models.conftest import train

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="sharing is POSIX-only")


def fake_run(runs_dir, name, state, pid, updated=None, device="cpu"):
    folder = runs_dir / name
    folder.mkdir(parents=True)
    status = {"state": state, "pid": pid, "updated": updated or now_iso()}
    (folder / "status.json").write_text(json.dumps(status))
    (folder / "config.json").write_text(json.dumps({"device": device}))


@pytest.fixture
def other_process():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process.pid
    process.kill()
    process.wait()


def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@posix_only
def test_only_fresh_live_cpu_runs_of_other_processes_count(tmp_path, other_process):
    fake_run(tmp_path, "a-training", "running", other_process)
    fake_run(tmp_path, "a-same-process-again", "running", other_process)
    fake_run(tmp_path, "b-crashed", "running", dead_pid())
    fake_run(tmp_path, "c-finished", "completed", other_process)
    fake_run(tmp_path, "d-ours", "running", os.getpid())
    fake_run(tmp_path, "e-suspended", "running", other_process, "2020-01-01T00:00:00+00:00")
    fake_run(tmp_path, "f-on-a-gpu", "running", other_process, device="cuda:0")
    for name, text in {"g-damaged": "{not json", "h-list": "[1, 2]", "i-null": "null",
                       "j-huge-pid": '{"state": "running", "pid": 99999999999999999999}',
                       "k-pid-zero": '{"state": "running", "pid": 0}',
                       "l-pid-true": '{"state": "running", "pid": true}'}.items():  # fmt: skip
        (tmp_path / name).mkdir()
        (tmp_path / name / "status.json").write_text(text)
    (tmp_path / "notes.txt").write_text("not a run")
    assert other_training_processes(tmp_path, os.getpid()) == {other_process}
    assert other_training_processes(tmp_path / "missing", os.getpid()) == set()


def test_each_run_gets_its_share_and_at_least_one_thread():
    assert fair_threads(2, 0) == 2
    assert fair_threads(2, 1) == 1
    assert fair_threads(8, 3) == 2
    assert fair_threads(2, 5) == 1


@pytest.fixture
def two_threads(monkeypatch):
    from models.training import loop as training_loop

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    monkeypatch.setattr(training_loop, "ALL_THREADS", 2)
    yield
    torch.set_num_threads(before)


def trainer_beside_another(runs, other_pid):
    """A tiny VAE training run set up in a runs folder where another process trains."""
    from models.training.trainer import Trainer, TrainRequest
    from tests.models.conftest import TINY

    fake_run(runs, "someone-elses", "running", other_pid)
    request = TrainRequest(kind="vae", hyperparameters=TINY["vae"], epochs=1, runs_dir=runs)
    return Trainer(request)


@posix_only
def test_a_run_beside_another_uses_its_share_and_gives_the_threads_back(
    tmp_path, other_process, two_threads
):
    during = []
    for report in trainer_beside_another(tmp_path / "runs", other_process).run():
        if isinstance(report, reports.Notice):
            during.append((report.message, torch.get_num_threads()))
        if isinstance(report, reports.Started):
            assert report.device == "CPU (1 thread)"  # what the status bar shows
    assert len(during) == 1
    message, threads = during[0]
    assert "1 other training run" in message and "uses 1 of the 2 CPU threads" in message
    assert threads == 1  # while it trained
    assert torch.get_num_threads() == 2  # the process has all its threads again


@posix_only
def test_a_run_left_alone_takes_the_threads_back_and_names_its_device_anew(
    tmp_path, other_process, two_threads, monkeypatch
):
    from models.training.cpu_share import CoreShare

    monkeypatch.setattr(CoreShare, "due", lambda self: True)  # look at every step
    runs = tmp_path / "runs"
    devices = []
    for report in trainer_beside_another(runs, other_process).run():
        if isinstance(report, reports.Started):
            devices.append(report.device)
            # The other run ends while this one trains.
            status = runs / "someone-elses" / "status.json"
            status.write_text(json.dumps({"state": "completed", "pid": other_process}))
        if isinstance(report, reports.DeviceChanged):
            devices.append(report.device)
        if isinstance(report, reports.Notice) and "alone again" in report.message:
            devices.append(report.message)
    # Sharing (before Started), Started, then alone: the status bar's device label follows.
    assert devices == [
        "CPU (1 thread)",
        "CPU (1 thread)",
        "Training alone again: all 2 CPU threads",
        "CPU (2 threads)",
    ]


@posix_only
def test_sharing_can_be_turned_off(tmp_path, other_process, two_threads, monkeypatch):
    monkeypatch.setenv("IMAGE_STUDIO_SHARE_CORES", "0")
    runs = tmp_path / "runs"
    fake_run(runs, "someone-elses", "running", other_process)
    _, seen = train("vae", runs)
    assert not [r for r in seen if isinstance(r, reports.Notice)]
