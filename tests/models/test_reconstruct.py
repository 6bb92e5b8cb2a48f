"""`image-studio reconstruct`: image files through a model's encoder and back, for every kind
that encodes, with the files and folders `classify` accepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.data.datasets import load_mnist_5k
from models.data.grids import to_uint8
from models.kinds.base import Capability
from models.kinds.registry import KINDS
from models.runs.checkpoint import load_model
from models.runs.folder import Run
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from studio.cli.main import main

# Kinds that encode (a vector latent, one decoder pass), each with settings small enough to
# train a few steps in seconds.
ENCODING = {
    "vae": {"batch_size": 64, "width": 4, "hidden": 16},
    "bigan": {"batch_size": 64, "width": 8, "latent_dim": 8},
}


def cli(*args) -> int:
    return main([str(a) for a in args])


def quick_run(root: Path, kind: str, hyperparameters: dict) -> Path:
    """A run stopped after its first steps: real weights, written by the engine."""
    trainer = Trainer(TrainRequest(kind, "mnist-5k", hyperparameters, epochs=1, runs_dir=root))
    run_dir = None
    for report in trainer.run():
        if isinstance(report, reports.Started):
            run_dir = Path(report.run_dir)
        if isinstance(report, reports.Losses) and report.step >= 5:
            trainer.stop()  # a stop writes a checkpoint first
    return run_dir


@pytest.fixture(scope="module")
def encoding_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("encoding-runs")
    return {kind: quick_run(root, kind, settings) for kind, settings in ENCODING.items()}


def test_the_kinds_tried_here_encode():
    assert all(KINDS[kind].capabilities & Capability.ENCODE for kind in ENCODING)


@pytest.mark.parametrize("kind", list(ENCODING))
def test_reconstructions_in_input_order_with_their_paths(encoding_runs, kind, tmp_path, capsys):
    data = load_mnist_5k()
    folder = tmp_path / "digits"
    folder.mkdir()
    for i in (4, 1, 3):  # a folder's files are taken in sorted order
        Image.fromarray(data.test_images[10 * i, 0].numpy()).save(folder / f"d{i}.png")
    (folder / "empty.png").write_bytes(b"")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    large = tmp_path / "large.png"
    Image.fromarray(data.test_images[70, 0].numpy()).resize((56, 56)).save(large)
    out = tmp_path / "out.npz"

    assert cli("reconstruct", encoding_runs[kind], large, folder, notes, "-o", out) == 0
    captured = capsys.readouterr()
    saved = np.load(out, allow_pickle=False)
    images, paths = saved["images"], saved["paths"]
    order = [large, folder / "d1.png", folder / "d3.png", folder / "d4.png"]
    assert paths.tolist() == [str(p) for p in order]
    assert images.shape == (4, 28, 28) and images.dtype == np.uint8

    # Each is the model's reconstruction of its own file, as the model makes it in memory.
    model = load_model(Run.open(encoding_runs[kind]), "cpu")
    from models.data.images import load_image

    inputs = torch.stack([load_image(p, model.image_shape).tensor() for p in order])
    expected = to_uint8(model.reconstruct(inputs))[..., 0]
    assert np.array_equal(images, expected)

    # Bad files get one line each, with the reason classify gives, and are left out.
    lines = captured.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{folder / 'empty.png'}\tcannot reconstruct: ")
    assert lines[1].startswith(f"{notes}\tcannot reconstruct: ")
    assert "4 reconstructed, 2 could not be read" in captured.err


def test_colour_images_keep_their_channels(tmp_path):
    from models.inference.reconstruct import reconstruct_files
    from models.kinds.base import DataInfo
    from models.kinds.vae import VAE, VAEConfig

    model = VAE(VAEConfig(width=4, hidden=16), DataInfo((3, 32, 32)), torch.device("cpu"))
    model.train_mode(False)
    picture = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 30, 3), (200, 30, 90), np.uint8)).save(picture)
    (result,) = reconstruct_files(model, [picture])
    assert result.pixels.shape == (32, 32, 3) and result.pixels.dtype == np.uint8


def test_kinds_without_an_encoder_are_refused_before_loading(tmp_path, capsys):
    # A run of a kind that cannot encode, with no weights at all: the refusal names what the
    # run cannot do (not the missing weights), so it came before any loading.
    for name, cls in KINDS.items():
        if cls.capabilities & Capability.ENCODE:
            continue
        dataset = {"name": "mnist-5k", "image_shape": [1, 28, 28], "class_names": list("0123")}
        run = Run.create(tmp_path / "runs", {"kind": name, "dataset": dataset})
        picture = tmp_path / "digit.png"
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(picture)
        assert cli("reconstruct", run.path, picture, "-o", tmp_path / "out.npz") == 1
        err = capsys.readouterr().err
        assert err.startswith("image-studio: error: ") and err.count("\n") == 1
        assert f"is a {cls.title} run, which has no encoder" in err
        assert all(c.title in err for c in KINDS.values() if c.capabilities & Capability.ENCODE)
        assert not (tmp_path / "out.npz").exists()


def test_nothing_readable_writes_nothing(encoding_runs, tmp_path, capsys):
    (tmp_path / "empty.png").write_bytes(b"")
    out = tmp_path / "out.npz"
    assert cli("reconstruct", encoding_runs["bigan"], tmp_path / "empty.png", "-o", out) == 1
    assert "0 reconstructed, 1 could not be read" in capsys.readouterr().err
    assert not out.exists()
    assert cli("reconstruct", encoding_runs["bigan"], tmp_path, "-o", tmp_path / "x.png") == 1
    assert ".npz" in capsys.readouterr().err
