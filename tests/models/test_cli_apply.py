"""`image-studio apply`: an image-to-image run over files and folders from the command line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from models.runs import checkpoint
from models.training.trainer import Trainer, TrainRequest
from studio.cli.main import main


def cli(*args):
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def upscaler_run(tmp_path_factory):
    torch.set_num_threads(2)
    runs = tmp_path_factory.mktemp("upscaler-runs")
    request = TrainRequest(kind="superres", hyperparameters={"batch_size": 256, "width": 8},
                           epochs=1, runs_dir=runs, sample_every=1000)  # fmt: skip
    for _ in Trainer(request).run():
        pass
    (run_dir,) = runs.iterdir()
    return run_dir


def test_apply_enlarges_every_readable_file_and_names_the_bad_ones(upscaler_run, tmp_path,
                                                                    capsys):  # fmt: skip
    inputs = tmp_path / "in"
    (inputs / "more").mkdir(parents=True)
    Image.fromarray(np.full((12, 16), 120, np.uint8)).save(inputs / "one.png")
    Image.fromarray(np.full((9, 7, 3), (200, 40, 90), np.uint8)).save(inputs / "more" / "two.jpg")
    (inputs / "zero.png").write_bytes(b"")
    out = tmp_path / "out"
    assert cli("apply", upscaler_run, inputs, "-o", out) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert len(lines) == 3  # one line per file, the bad one included
    (bad,) = [line for line in lines if "zero.png" in line]
    assert "cannot apply: empty file" in bad
    assert Image.open(out / "one.png").size == (32, 24)
    assert Image.open(out / "two.png").size == (14, 18)
    assert Image.open(out / "two.png").mode == "RGB"  # a grey model keeps a file's colours
    assert "2 written" in printed.err and "1 could not be used" in printed.err


def test_apply_with_nothing_usable_fails(upscaler_run, tmp_path, capsys):
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    assert cli("apply", upscaler_run, tmp_path / "bad.png", "-o", tmp_path / "out") == 1
    assert "cannot apply: not an image" in capsys.readouterr().out


def test_a_run_that_does_not_turn_images_into_images_is_refused_before_its_weights(
    trained_runs, tmp_path, capsys, monkeypatch
):
    def unread(*args, **kwargs):
        raise AssertionError("the weights were read")

    monkeypatch.setattr(checkpoint, "read_weights", unread)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    code = cli("apply", trained_runs["vae"], tmp_path / "a.png", "-o", tmp_path / "out")
    assert code == 1
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1
    assert "is a VAE run, which does not turn one image into another" in message
    assert "choose a Super-resolution (upscaler) run or train one" in message
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_is_one_line(upscaler_run, tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    code = cli("apply", upscaler_run, tmp_path, "-o", tmp_path / "taken")
    assert code == 1
    message = capsys.readouterr().err.strip()
    assert message.startswith("image-studio: error:") and "is a file" in message
