from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.training import reports
from models.training.trainer import Trainer, TrainRequest

# Small enough that a whole epoch takes about a second on two CPU cores.
TINY = {
    "vae": {"batch_size": 64, "width": 4, "hidden": 16},
    "dcgan": {"batch_size": 64, "width": 8},
    "cnn": {"batch_size": 64, "width": 8},
}


@pytest.fixture(autouse=True)
def _torch_threads_restored():
    """A test that sets torch's thread count (to time or to share the CPU) gives it back: the
    count is process-wide, and a run that starts below it later reports sharing the CPU."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _isolated_folders(tmp_path, monkeypatch):
    """No test writes into the person's real data or cache folders."""
    monkeypatch.setenv("IMAGE_STUDIO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("IMAGE_STUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGE_STUDIO_RUNS", str(tmp_path / "runs"))


def train(kind: str, runs_dir: Path, epochs: int = 1, **overrides) -> tuple[Path, list]:
    request = TrainRequest(
        kind=kind,
        hyperparameters={**TINY[kind], **overrides.pop("hyperparameters", {})},
        epochs=epochs,
        runs_dir=runs_dir,
        sample_every=overrides.pop("sample_every", 25),
        **overrides,
    )
    seen = list(Trainer(request).run())
    started = next(r for r in seen if isinstance(r, reports.Started))
    return Path(started.run_dir), seen


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory) -> dict[str, Path]:
    """One finished tiny run of each kind, shared by the tests that only read runs."""
    torch.set_num_threads(2)
    root = tmp_path_factory.mktemp("shared-runs")
    return {kind: train(kind, root)[0] for kind in TINY}
