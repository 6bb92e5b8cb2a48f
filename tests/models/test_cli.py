"""The headless command line, called as a person would (in-process where possible)."""

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import torch
from PIL import Image

from models.data.datasets import load_mnist_5k
from models.runs.folder import Run
from studio.cli.main import main


def cli(*args):
    return main([str(a) for a in args])


def test_train_then_sample_interpolate_and_list(tmp_path, capsys):
    runs = tmp_path / "runs"
    code = cli("train", "--kind", "vae", "--epochs", "1", "--set", "batch_size=64",
               "--set", "width=4", "--set", "hidden=16", "--runs-dir", runs)  # fmt: skip
    assert code == 0
    (run_dir,) = runs.iterdir()
    assert "run completed" in capsys.readouterr().err

    assert cli("sample", run_dir, "-n", "10", "-o", tmp_path / "s.npz") == 0
    images = np.load(tmp_path / "s.npz")["images"]
    assert images.shape == (10, 28, 28) and images.dtype == np.uint8
    assert (
        cli("sample", run_dir.name, "-n", "16", "-o", tmp_path / "grid.png", "--runs-dir", runs)
        == 0
    )
    assert Image.open(tmp_path / "grid.png").size == (4 * 30 + 2, 4 * 30 + 2)

    assert cli("interpolate", run_dir, "--steps", "6", "-o", tmp_path / "strip.png") == 0
    assert Image.open(tmp_path / "strip.png").size == (6 * 30 + 2, 32)
    assert cli("interpolate", "latest", "--runs-dir", runs, "-o", tmp_path / "loop.gif") == 0
    assert Image.open(tmp_path / "loop.gif").n_frames == 18  # 10 forward, 8 back

    capsys.readouterr()
    assert cli("runs", "--runs-dir", runs) == 0
    listing = capsys.readouterr().out
    assert run_dir.name in listing and "completed" in listing and "test_loss" in listing


def test_classify_writes_a_csv_with_reasons(trained_runs, tmp_path, capsys):
    data = load_mnist_5k()
    for i in range(3):
        Image.fromarray(data.test_images[i * 50, 0].numpy()).save(tmp_path / f"digit{i}.png")
    (tmp_path / "empty.png").write_bytes(b"")
    out = tmp_path / "out.csv"
    code = cli("classify", trained_runs["cnn"], tmp_path, "--csv", out)
    assert code == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4
    reasons = {os.path.basename(r["path"]): r["reason"] for r in rows}
    assert reasons["empty.png"] and not reasons["digit0.png"]
    assert "1 could not be read" in capsys.readouterr().err

    # --csv without a file: the CSV is what is printed, and nothing else is on stdout.
    assert cli("classify", trained_runs["cnn"], tmp_path, "--csv") == 0
    printed = capsys.readouterr()
    rows_out = list(csv.DictReader(printed.out.splitlines()))
    assert [r["path"] for r in rows_out] == [r["path"] for r in rows]
    assert "1 could not be read" in printed.err


def test_errors_are_one_line_without_a_traceback(trained_runs, tmp_path, capsys):
    assert cli("train", "--kind", "transformer", "--runs-dir", tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith("image-studio: error: unknown model kind") and "Traceback" not in err
    assert cli("train", "--set", "latent_dim=1", "--runs-dir", tmp_path) == 1
    assert "latent_dim must be at least 2" in capsys.readouterr().err
    assert cli("train", "--set", "nonsense", "--runs-dir", tmp_path) == 1
    assert "FIELD=VALUE" in capsys.readouterr().err
    assert cli("sample", trained_runs["cnn"], "-o", tmp_path / "x.png") == 1
    assert "has no latent space" in capsys.readouterr().err
    assert cli("classify", trained_runs["vae"], tmp_path) == 1
    assert "does not classify" in capsys.readouterr().err
    assert cli("sample", tmp_path / "nowhere", "-o", tmp_path / "x.png") == 1
    assert "no run" in capsys.readouterr().err
    assert cli("sample", trained_runs["vae"], "-o", tmp_path / "x.jpg") == 1
    assert ".png or .npz" in capsys.readouterr().err
    assert cli("sample", trained_runs["vae"], "--label", "3", "-o", tmp_path / "x.png") == 1
    assert "trained without classes" in capsys.readouterr().err
    assert cli("sample", trained_runs["dcgan"], "--label", "x", "-o", tmp_path / "x.png") == 1
    assert "no class 'x'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing was created by the failed commands


def test_a_conditional_dcgan_samples_a_chosen_class(trained_runs, tmp_path):
    from models.analysis.latent_map import seed_latent
    from models.analysis.latent_paths import path
    from models.data.grids import make_grid, to_uint8
    from models.runs.checkpoint import load_model

    model = load_model(Run.open(trained_runs["dcgan"]), "cpu")
    assert model.conditional
    assert (
        cli("sample", trained_runs["dcgan"], "--label", "7", "-n", "5", "-o", tmp_path / "7.npz")
        == 0
    )
    sevens = np.load(tmp_path / "7.npz")["images"]
    generator = torch.Generator().manual_seed(0)
    noise = model.make_noise(5, generator)
    expected = model.sample(5, noise=noise, labels=torch.full((5,), 7))
    assert np.array_equal(sevens, to_uint8(expected)[..., 0])

    # A strip from a 3 to an 8, from the default seeds' noise.
    strip = tmp_path / "3to8.png"
    assert cli("interpolate", trained_runs["dcgan"], "--labels", "3", "8", "-o", strip) == 0
    ends = model.relabel(torch.stack([seed_latent(model, 1), seed_latent(model, 2)]),
                         torch.tensor([3, 8]))  # fmt: skip
    frames = to_uint8(model.decode(path(ends[0], ends[1], 10, "slerp")))
    with Image.open(strip) as image:
        assert np.array_equal(np.asarray(image), make_grid(frames, columns=10)[..., 0])
    assert cli("interpolate", trained_runs["dcgan"], "--labels", "3", "x", "-o", strip) == 1


def test_ctrl_c_stops_training_with_a_checkpoint(tmp_path):
    env = {**os.environ, "IMAGE_STUDIO_RUNS": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "studio", "train", "--kind", "vae", "--epochs", "200",
         "--set", "width=4", "--set", "hidden=16"],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(600):  # polls, not a time limit: the loop ends once steps are logged
            runs = list(tmp_path.iterdir())
            metrics = runs[0] / "metrics.jsonl" if runs else None
            if metrics is not None and metrics.exists() and metrics.stat().st_size > 0:
                break
            if process.poll() is not None:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "run stopped" in err
    run = Run(next(tmp_path.iterdir()))
    assert run.status()["state"] == "stopped" and run.has_checkpoint()
    assert cli("resume", run.path, "--epochs", "1") == 0 or run.status()["step"] >= 70
