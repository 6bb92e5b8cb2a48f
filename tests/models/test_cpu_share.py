"""Training runs on one machine share its CPU cores."""

import json
import os
import subprocess
import sys

import pytest
import torch

from models import reports
from models.cpu_share import fair_threads, other_training_processes
from tests.models.conftest import train


def fake_run(runs_dir, name, state, pid):
    folder = runs_dir / name
    folder.mkdir(parents=True)
    (folder / "status.json").write_text(json.dumps({"state": state, "pid": pid}))


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


@pytest.mark.skipif(sys.platform == "win32", reason="sharing is POSIX-only")
def test_only_live_running_runs_of_other_processes_count(tmp_path, other_process):
    fake_run(tmp_path, "a-training", "running", other_process)
    fake_run(tmp_path, "b-crashed", "running", dead_pid())
    fake_run(tmp_path, "c-finished", "completed", other_process)
    fake_run(tmp_path, "d-ours", "running", os.getpid())
    (tmp_path / "e-damaged").mkdir()
    (tmp_path / "e-damaged" / "status.json").write_text("{not json")
    (tmp_path / "notes.txt").write_text("not a run")
    assert other_training_processes(tmp_path, os.getpid()) == {other_process}
    assert other_training_processes(tmp_path / "missing", os.getpid()) == set()


def test_each_run_gets_its_share_and_at_least_one_thread():
    assert fair_threads(2, 0) == 2
    assert fair_threads(2, 1) == 1
    assert fair_threads(8, 3) == 2
    assert fair_threads(2, 5) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="sharing is POSIX-only")
def test_a_run_beside_another_uses_its_share_and_gives_the_threads_back(tmp_path, other_process):
    before = torch.get_num_threads()
    runs = tmp_path / "runs"
    fake_run(runs, "someone-elses", "running", other_process)
    _, seen = train("vae", runs)
    notices = [r.message for r in seen if isinstance(r, reports.Notice)]
    if before > 1:
        expected = f"uses {fair_threads(before, 1)} of the {before} CPU threads"
        assert any("1 other training run" in n and expected in n for n in notices), notices
    assert torch.get_num_threads() == before  # the process has all its threads again
