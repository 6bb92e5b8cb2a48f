"""One training process per run: the lock, what a killed process leaves, and a deleted folder."""

import json
import os
import shutil
import signal
import subprocess
import sys

from models.runs import checkpoint
from models.runs.folder import Run
from models.runs.lock import HOLDER_FILE, is_locked
from models.runs.resume import hold_for_training
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from studio.cli.main import main
from tests.models.conftest import TINY

HOLD = """
import sys, time
from models.runs.lock import RunLock
lock = RunLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def copy_run(source, tmp_path):
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return Run.open(target)


def hold_in_another_process(folder):
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE,
                               text=True, cwd=os.getcwd())  # fmt: skip
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_run_trained_elsewhere_is_refused_with_its_holder(trained_runs, tmp_path, capsys):
    run = copy_run(trained_runs["cnn"], tmp_path)
    metrics_before = run.metrics_path.read_bytes()
    status_before = run.status()
    holder = hold_in_another_process(run.path)
    try:
        seen = list(Trainer(resume=run.path, epochs=2).run())
        assert seen[-1].state == "failed"
        assert f"process {holder.pid} on " in seen[-1].message
        assert main(["resume", str(run.path), "--epochs", "2"]) != 0
        err = capsys.readouterr().err
        assert f"being trained by process {holder.pid}" in err and "Traceback" not in err
        assert run.metrics_path.read_bytes() == metrics_before  # no step written twice
        assert run.config["training"]["epochs"] == 1
        assert run.status() == status_before  # the holder's status is not overwritten
    finally:
        holder.kill()
        holder.wait()
    # The operating system released the killed holder's lock: the run trains again.
    assert is_locked(run.path) is False
    seen = list(Trainer(resume=run.path, epochs=2).run())
    assert seen[-1].state == "completed"
    records, _ = run.read_metrics()
    steps = [r["step"] for r in records if "split" not in r]
    assert steps == sorted(set(steps)) == list(range(1, 141))


def test_a_run_in_training_refuses_a_second_trainer_in_the_same_process(tmp_path):
    request = TrainRequest(kind="cnn", hyperparameters=TINY["cnn"], epochs=1, runs_dir=tmp_path,
                           sample_every=1000)  # fmt: skip
    first = Trainer(request)
    refusal = None
    for report in first.run():
        if isinstance(report, reports.Losses) and refusal is None:
            assert is_locked(first.run_folder.path) is True
            assert first.run_folder.status()["state"] == "running"
            second = list(Trainer(resume=first.run_folder.path).run())
            refusal = second[-1]
    assert refusal.state == "failed" and f"process {os.getpid()}" in refusal.message
    assert first.run_folder.status()["state"] == "completed"
    assert is_locked(first.run_folder.path) is False
    assert not (first.run_folder.path / HOLDER_FILE).exists()


def test_a_killed_run_reads_as_interrupted_and_its_leftovers_are_cleared(trained_runs, tmp_path):
    run = copy_run(trained_runs["cnn"], tmp_path)
    holder = hold_in_another_process(run.path)
    status = {**json.loads((run.path / "status.json").read_text()), "state": "running"}
    (run.path / "status.json").write_text(json.dumps(status))
    assert run.status()["state"] == "running"  # held: it is training
    # What a process killed mid-write leaves: temporary files and an uncommitted checkpoint.
    leftovers = [run.path / ".status.json.1a2b3c4d.tmp",
                 run.path / "samples" / ".step-000010.png.1a2b3c4d.tmp"]  # fmt: skip
    for path in leftovers:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"half")
    (run.path / checkpoint.STAGING).mkdir()
    (run.path / checkpoint.STAGING / "weights.safetensors").write_bytes(b"half")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert run.status()["state"] == "interrupted"  # not "running" forever
    lock = hold_for_training(run)
    try:
        assert not any(path.exists() for path in leftovers)
        assert not (run.path / checkpoint.STAGING).exists()
        assert checkpoint.weights_step(run) == 70
    finally:
        lock.release()


def test_deleting_a_run_folder_while_it_trains_stops_it_without_recreating_it(tmp_path):
    request = TrainRequest(kind="cnn", hyperparameters=TINY["cnn"], epochs=2, runs_dir=tmp_path,
                           sample_every=5)  # fmt: skip
    trainer = Trainer(request)
    seen = []
    for report in trainer.run():
        seen.append(report)
        if isinstance(report, reports.Losses) and trainer.run_folder.path.exists():
            shutil.rmtree(trainer.run_folder.path)
    assert seen[-1].state == "failed" and "was deleted while training" in seen[-1].message
    assert list(tmp_path.iterdir()) == []
