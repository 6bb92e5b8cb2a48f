"""Shared by the studio tests (a plain module: conftest.py is not meant to be imported)."""

from __future__ import annotations

from pathlib import Path

# Small enough that an epoch (70 steps) takes about a second on two idle CPU cores.
TINY = {"batch_size": 64, "width": 4, "hidden": 16}
WAIT_MS = 120_000  # only a safety net for a hung test on a loaded machine, never a budget


def set_tiny(panel, epochs: int = 1, sample_every: int = 20) -> None:
    """Choose the tiny configuration through the form, as a person would."""
    panel.set_hyperparameters(TINY)
    panel.epochs.setValue(epochs)
    panel.sample_every.setValue(sample_every)


def run_folder_is_complete(path: Path) -> None:
    for name in ("config.json", "metrics.jsonl", "weights.safetensors", "state.pt", "status.json"):
        assert (path / name).is_file(), f"{name} missing from {path}"
    assert (path / "metrics.jsonl").stat().st_size > 0
    assert list((path / "samples").glob("step-*.png")), "no sample grids saved"


def quick_run(root: Path, kind: str, hyperparameters: dict) -> Path:
    """A run stopped after its first steps: real weights, written by the engine, in seconds."""
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    trainer = Trainer(TrainRequest(kind, "mnist-5k", hyperparameters, epochs=1, runs_dir=root))
    run_dir = None
    for report in trainer.run():
        if isinstance(report, reports.Started):
            run_dir = Path(report.run_dir)
        if isinstance(report, reports.Losses):
            trainer.stop()  # a stop writes a checkpoint first
    return run_dir


def open_run_and_wait(qtbot, window, path) -> None:
    """Open a run in the window and wait until its folder, read off the GUI thread, is shown."""
    window.open_run(str(path))
    qtbot.waitUntil(lambda: window.opened == str(Path(path).expanduser()), timeout=WAIT_MS)
    # Its curves so far are read by the follower on its own thread.
    qtbot.waitUntil(lambda: window.follower.caught_up == Path(path).name, timeout=WAIT_MS)
