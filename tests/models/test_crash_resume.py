"""kill -9 between the files of a checkpoint, then resume: the run ends exactly as a run that
was never killed. (benchmarks/crash_resume.py does the same 8 times, also at random moments.)

The runs are `image-studio` processes; IMAGE_STUDIO_TEST_KILL_AT makes one kill itself at a
named point of its first checkpoint (models/runs/checkpoint.py)."""

import os
import signal
import subprocess
import sys

import numpy as np
import torch
from safetensors.torch import load_file

from models.runs.checkpoint import KILL_AT, STAGING, weights_step
from models.runs.folder import Run

# The command line, with a checkpoint at each epoch's end (short epochs skip it by default).
CHILD = """
import sys
import models.training.loop as loop
loop.MIN_CHECKPOINT_GAP = 0.0
loop.CHECKPOINT_INTERVAL = 1e9  # and only there, however slowly a busy machine trains
from studio.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
SETTINGS = ["--set", "batch_size=64", "--set", "width=8"]


def small_digits(path):
    """640 training and 128 test digits of the bundled set: 10 steps an epoch."""
    from models.data.datasets import load_mnist_5k

    data = load_mnist_5k()
    images = data.train_images[:768, 0].numpy()  # uint8
    labels = data.train_labels[:768].numpy()
    np.savez(path, x_train=images[:640], y_train=labels[:640], x_test=images[640:],
             y_test=labels[640:])  # fmt: skip
    return f"npz:{path}"


def image_studio(*args, kill_at=None):
    env = {**os.environ, "IMAGE_STUDIO_SHARE_CORES": "0"}  # thread counts fixed: bit for bit
    env.pop(KILL_AT, None)
    if kill_at:
        env[KILL_AT] = kill_at
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], env=env,
                          capture_output=True, text=True, cwd=os.getcwd())  # fmt: skip
    return done.returncode


def test_a_run_killed_between_its_checkpoint_files_resumes_to_the_same_weights(tmp_path):
    dataset = small_digits(tmp_path / "digits.npz")
    train = ["train", "--kind", "cnn", "--dataset", dataset, "--epochs", "3", "--seed", "11",
             "--sample-every", "1000", *SETTINGS]  # fmt: skip
    assert image_studio("--runs-dir", tmp_path / "whole", *train) == 0
    (whole,) = (tmp_path / "whole").iterdir()

    # Killed after its first weights were written, before the checkpoint was committed.
    assert image_studio("--runs-dir", tmp_path / "parts", *train, kill_at="weights-staged") == (
        -signal.SIGKILL
    )
    (run_dir,) = (tmp_path / "parts").iterdir()
    run = Run(run_dir)
    assert not run.weights_path.exists() and run.status()["state"] == "interrupted"

    # No checkpoint: it starts again from step 0, and is killed after its weights file was
    # replaced and before state.pt was written: the pair on disk does not match...
    assert image_studio("resume", run_dir, kill_at="weights-replaced") == -signal.SIGKILL
    assert weights_step(run) == 10 and not run.state_path.exists()
    assert (run_dir / STAGING / "commit.json").exists()  # ...but it was committed

    assert image_studio("resume", run_dir) == 0
    assert run.status()["state"] == "completed"
    records, _ = run.read_metrics()
    assert [r["step"] for r in records if "split" not in r] == list(range(1, 31))
    expected = load_file(str(whole / "weights.safetensors"))
    final = load_file(str(run.weights_path))
    assert expected.keys() == final.keys()
    assert all(torch.equal(expected[k], final[k]) for k in expected)
