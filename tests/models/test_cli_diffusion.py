"""The command line with a diffusion run: sampling options, the denoising trajectory,
interpolation between classes, refusals for one-pass kinds, and Ctrl-C during sampling."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

from models.data.grids import to_uint8
from models.runs.checkpoint import load_model
from models.runs.folder import Run
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from studio.cli.main import main

# Tiny and quick: a few steps of a thin U-Net, previews of 2 steps.
TINY_DIFFUSION = {"width": 8, "batch_size": 500, "preview_steps": 2, "sampling_steps": 4}


def cli(*args):
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def diffusion_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("diffusion-runs")
    request = TrainRequest(kind="diffusion", hyperparameters=TINY_DIFFUSION, epochs=1,
                           runs_dir=root, sample_every=1000, quality_every="off")  # fmt: skip
    seen = list(Trainer(request).run())
    assert seen[-1].state == "completed"
    return next(r for r in seen if isinstance(r, reports.Started)).run_dir


def test_sample_takes_steps_eta_guidance_and_a_class(diffusion_run, tmp_path, capsys):
    out = tmp_path / "s.npz"
    args = ("sample", diffusion_run, "-n", "6", "--steps", "3", "--eta", "0.5",
            "--guidance", "2", "--label", "7", "-o")  # fmt: skip
    assert cli(*args, out) == 0
    images = np.load(out)["images"]
    assert images.shape == (6, 28, 28) and images.dtype == np.uint8
    assert cli(*args, tmp_path / "again.npz") == 0
    assert np.array_equal(np.load(tmp_path / "again.npz")["images"], images)  # seeded

    model = load_model(Run.open(diffusion_run), "cpu")
    generator = torch.Generator().manual_seed(0)
    noise = model.make_noise(6, generator)
    expected = model.sample(6, noise=noise, labels=torch.full((6,), 7), steps=3, eta=0.5,
                            guidance=2.0, generator=generator)  # fmt: skip
    assert np.array_equal(images, to_uint8(expected)[..., 0])

    # Without options: the run's own sampling steps (4), DDIM, its guidance, classes in turn.
    assert cli("sample", diffusion_run, "-n", "4", "-o", tmp_path / "plain.npz") == 0
    noise = model.make_noise(4, torch.Generator().manual_seed(0))
    plain = to_uint8(model.decode(noise, torch.arange(4), steps=4))[..., 0]
    assert np.array_equal(np.load(tmp_path / "plain.npz")["images"], plain)
    assert cli("sample", diffusion_run, "-n", "9", "--sampler", "ddpm", "--steps", "3",
               "-o", tmp_path / "grid.png") == 0  # fmt: skip
    assert Image.open(tmp_path / "grid.png").size == (3 * 30 + 2, 3 * 30 + 2)


def test_denoise_writes_the_trajectory_as_a_gif_or_a_strip(diffusion_run, tmp_path, capsys):
    assert cli("denoise", diffusion_run, "--seed", "3", "--steps", "5", "-o",
               tmp_path / "steps.gif") == 0  # fmt: skip
    assert "5 denoising steps of class 3" in capsys.readouterr().out
    with Image.open(tmp_path / "steps.gif") as gif:
        assert gif.n_frames == 6  # each step, then the finished image
        assert gif.size == (4 * (28 + 2 + 28), 4 * 28)
    strip = tmp_path / "steps.png"
    assert cli("denoise", diffusion_run, "--seed", "3", "--steps", "5", "--label", "8",
               "-o", strip) == 0  # fmt: skip
    with Image.open(strip) as image:
        assert image.size == (6 * (58 + 2) + 2, 28 + 4)
        pixels = np.asarray(image)
    model = load_model(Run.open(diffusion_run), "cpu")
    from models.analysis.latent_map import seed_latent

    final = to_uint8(model.decode(seed_latent(model, 3)[None], torch.tensor([8]), steps=5))
    last = pixels[2:30, 2 + 5 * 60 : 2 + 5 * 60 + 28]  # the last frame's left half
    assert np.array_equal(last, final[0, ..., 0])
    assert cli("denoise", diffusion_run, "-o", tmp_path / "x.jpg") == 1
    assert ".gif or .png" in capsys.readouterr().err


def test_interpolate_blends_classes_along_the_noise_path(diffusion_run, tmp_path):
    strip = tmp_path / "3to8.png"
    assert cli("interpolate", diffusion_run, "--steps", "4", "--labels", "3", "8", "-o",
               strip) == 0  # fmt: skip
    assert Image.open(strip).size == (4 * 30 + 2, 32)
    assert cli("interpolate", diffusion_run, "--steps", "3", "-o", tmp_path / "plain.gif") == 0


def test_one_pass_kinds_refuse_sampling_options(trained_runs, diffusion_run, tmp_path, capsys):
    assert cli("sample", trained_runs["dcgan"], "--steps", "5", "-o", tmp_path / "x.png") == 1
    err = capsys.readouterr().err
    assert "draws an image in one pass: --steps only apply" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert cli("denoise", trained_runs["vae"], "-o", tmp_path / "x.gif") == 1
    assert "no denoising steps" in capsys.readouterr().err
    assert cli("sample", diffusion_run, "--steps", "0", "-o", tmp_path / "x.png") == 1
    assert "--steps must be between 1 and 1000" in capsys.readouterr().err
    assert cli("sample", diffusion_run, "--guidance", "-1", "-o", tmp_path / "x.png") == 1
    assert "--guidance must be between" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_ctrl_c_stops_sampling_between_steps(diffusion_run, tmp_path):
    out = tmp_path / "many.npz"
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "sample", str(diffusion_run), "-n", "400",
         "--steps", "1000", "-o", str(out)],
        env=os.environ.copy(), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        seen = ""
        while "sampling" not in seen and process.poll() is None:  # the progress bar is up
            seen += process.stderr.read(1)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=300)
    finally:
        process.kill()
    assert process.returncode == 130, seen + err
    assert "stopped by request; nothing written" in err and "Traceback" not in err
    assert not out.exists()
