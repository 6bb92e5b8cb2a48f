"""`image-studio reconstruct --steps N`: a kind that samples in many steps inverts and
regenerates with N steps, and with the run's sampling steps when none are given (never its
quick preview steps); a kind that reconstructs in one pass refuses --steps in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.data.datasets import load_mnist_5k
from models.data.grids import to_uint8
from models.kinds.description import describe_registered
from models.runs.checkpoint import load_model
from models.runs.folder import Run
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from studio.cli.main import main

# Settings that train in seconds; preview and sampling steps differ, so the default is seen.
SMALL = {"width": 8, "batch_size": 64, "preview_steps": 2, "sampling_steps": 5}
MANY_PASS_ENCODERS = [
    name
    for name, d in describe_registered().items()
    if d.decode_passes == "many" and "encoder" in d.roles
]


def cli(*args) -> int:
    return main([str(a) for a in args])


def test_some_kind_reconstructs_in_many_passes():
    assert MANY_PASS_ENCODERS


def quick_run(root: Path, kind: str, hyperparameters: dict) -> Path:
    trainer = Trainer(TrainRequest(kind, "mnist-5k", hyperparameters, epochs=1, runs_dir=root))
    run_dir = None
    for report in trainer.run():
        if isinstance(report, reports.Started):
            run_dir = Path(report.run_dir)
        if isinstance(report, reports.Losses):
            trainer.stop()  # a stop writes a checkpoint first
    return run_dir


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> tuple[Path, np.ndarray]:
    folder = tmp_path_factory.mktemp("digits")
    images = load_mnist_5k().test_images[:3, 0].numpy()
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{index}.png")
    return folder, images


@pytest.mark.parametrize("kind", MANY_PASS_ENCODERS)
def test_steps_default_to_the_runs_sampling_steps(tmp_path, digits, kind, capsys):
    import torch

    run = quick_run(tmp_path / "runs", kind, SMALL)
    folder, images = digits
    model = load_model(Run.open(run), "cpu")
    model.train_mode(False)
    batch = torch.from_numpy(images).float().div(255)[:, None]

    def expected(steps: int) -> np.ndarray:
        return to_uint8(model.reconstruct(batch, steps=steps))[..., 0]

    assert not np.array_equal(expected(2), expected(5))  # the step count shows in the images
    out = tmp_path / "default.npz"
    assert cli("reconstruct", run, folder, "-o", out) == 0
    assert np.array_equal(np.load(out)["images"], expected(SMALL["sampling_steps"]))
    out = tmp_path / "three.npz"
    assert cli("reconstruct", run, folder, "--steps", 3, "-o", out) == 0
    assert np.array_equal(np.load(out)["images"], expected(3))
    capsys.readouterr()
    assert cli("reconstruct", run, folder, "--steps", 0, "-o", tmp_path / "none.npz") == 1
    assert "--steps must be between 1 and 1000, not 0" in capsys.readouterr().err


def test_a_one_pass_kind_refuses_steps(tmp_path, digits, capsys):
    run = quick_run(tmp_path / "runs", "vae", {"batch_size": 64, "width": 4, "hidden": 16})
    out = tmp_path / "out.npz"
    assert cli("reconstruct", run, digits[0], "--steps", 5, "-o", out) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reconstructs in one pass: --steps only applies" in err
    assert not out.exists()
    assert cli("reconstruct", run, digits[0], "-o", out) == 0  # without --steps, as before


def test_help_says_the_default(capsys):
    with pytest.raises(SystemExit):
        cli("reconstruct", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "default: the run's sampling_steps, 50 unless" in text
