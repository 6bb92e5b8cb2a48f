"""kill -9 a training run again and again, resume it each time, and compare its final weights
with those of a run that was never killed: they must be identical, bit for bit.

A seeded CNN run on the bundled mnist-5k is trained by `image-studio train` in a process of
its own, killed with SIGKILL `--kills` times and resumed with `image-studio resume` after each
kill. Every other kill lands right after a checkpoint's weights file was written (the test
hook IMAGE_STUDIO_TEST_KILL_AT of models/runs/checkpoint.py, alternately before and after the
checkpoint is committed); the others land at a random moment of the training. The processes
write a checkpoint at each epoch's end and every CHECKPOINT_EVERY seconds (a run of its own
would skip most of them: its epochs are short), so kills fall between and inside checkpoints.
CPU sharing is off, so every process uses the same thread count, as bit-for-bit needs.

Ends with one line of name=value pairs: kills, hook_kills, random_kills, early_finishes
(random kills that came after the run had finished: 0 unless the machine was very busy),
steps, identical (1 or 0), max_abs_diff, metrics_duplicates, seconds. Exit status 1 when the
weights differ.

    python benchmarks/crash_resume.py [--kills 8] [--epochs 3] [--seed 3] [--train-images N]

`--train-images N` trains on the first N training digits of mnist-5k (and tests on the next
fifth as many): an epoch of N / 64 steps, for a machine too busy for the whole set.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from models.runs.checkpoint import KILL_AT

CHECKPOINT_EVERY = 0.5  # seconds of training between checkpoints inside an epoch
CHILD = f"""
import sys
import models.training.loop as loop
loop.MIN_CHECKPOINT_GAP = 0.0
loop.CHECKPOINT_INTERVAL = {CHECKPOINT_EVERY}
from studio.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
HOOK_POINTS = ("weights-staged", "weights-replaced")
ROOT = Path(__file__).resolve().parent.parent


def start(args: list[str], kill_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "IMAGE_STUDIO_SHARE_CORES": "0"}
    env.pop(KILL_AT, None)
    if kill_at:
        env[KILL_AT] = kill_at
    command = [sys.executable, "-c", CHILD, *map(str, args)]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def finish(process: subprocess.Popen) -> int:
    _, err = process.communicate()
    if process.returncode not in (0, -signal.SIGKILL):
        raise SystemExit(f"image-studio failed ({process.returncode}): {err.strip()[-500:]}")
    return process.returncode


def read_status(run_dir: Path) -> dict:
    try:
        return json.loads((run_dir / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def training_started(run_dir: Path | None, process: subprocess.Popen) -> bool:
    if run_dir is None:
        return False
    status = read_status(run_dir)
    return status.get("pid") == process.pid and status.get("state") == "running"


def kill_at_random(process: subprocess.Popen, runs: Path, train_seconds: float,
                   rng: random.Random) -> bool:  # fmt: skip
    """SIGKILL the process at a random moment of its training; False if it finished first."""
    found: list[Path] = []
    while process.poll() is None:
        found = [p for p in runs.iterdir() if p.is_dir()]
        if training_started(found[0] if found else None, process):
            break
        time.sleep(0.02)
    status = read_status(found[0]) if found else {}
    total = max(int(status.get("total_steps", 1) or 1), 1)
    remaining = 1 - int(status.get("step", 0) or 0) / total
    time.sleep(rng.uniform(0.0, 0.8 * train_seconds * remaining))
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    finish(process)
    return True


def digits_subset(count: int, folder: Path) -> str:
    """The first `count` training digits of mnist-5k (and count / 5 more to test on), as an
    npz: dataset."""
    import numpy as np

    from models.data.datasets import load_mnist_5k

    data = load_mnist_5k()
    test = max(count // 5, 64)
    images = data.train_images[: count + test, 0].numpy()
    labels = data.train_labels[: count + test].numpy()
    path = folder / "digits.npz"
    np.savez(path, x_train=images[:count], y_train=labels[:count], x_test=images[count:],
             y_test=labels[count:])  # fmt: skip
    return f"npz:{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--train-images", type=int, default=0, help="0: all of mnist-5k")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    began = time.perf_counter()
    train = ["train", "--kind", "cnn", "--epochs", args.epochs, "--seed", args.seed,
             "--sample-every", "1000", "--set", "batch_size=64", "--set", "width=8"]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        whole, parts = Path(folder, "whole"), Path(folder, "parts")
        if args.train_images:
            train += ["--dataset", digits_subset(args.train_images, Path(folder))]
        if finish(start(["--runs-dir", whole, *train])) != 0:
            raise SystemExit("the uninterrupted run did not finish")
        (whole_run,) = whole.iterdir()
        train_seconds = float(read_status(whole_run)["elapsed"])
        print(f"uninterrupted run: {train_seconds:.1f} s of training", flush=True)

        hook_kills = random_kills = early = 0
        run_dir: Path | None = None
        while hook_kills + random_kills < args.kills:
            command = ["resume", run_dir] if run_dir else ["--runs-dir", parts, *train]
            if (hook_kills + random_kills) % 2 == 0:
                point = HOOK_POINTS[hook_kills % 2]
                code = finish(start(command, kill_at=point))
                if code != -signal.SIGKILL:
                    raise SystemExit(f"the run finished without reaching {point}")
                hook_kills += 1
                what = f"after the weights write ({point})"
            else:
                parts.mkdir(exist_ok=True)
                if kill_at_random(start(command), parts, train_seconds, rng):
                    random_kills += 1
                    what = "at a random moment"
                else:
                    early += 1
                    what = "finished before the kill"
            run_dir = run_dir or next(parts.iterdir())
            step = read_status(run_dir).get("step")
            print(f"kill {hook_kills + random_kills}: {what}; status step {step}", flush=True)
            if early > args.kills:
                raise SystemExit("the run keeps finishing before it is killed")
        if finish(start(["resume", run_dir])) != 0:
            raise SystemExit("the last resume did not finish")

        expected = load_file(str(whole_run / "weights.safetensors"))
        final = load_file(str(run_dir / "weights.safetensors"))
        same_keys = expected.keys() == final.keys()
        identical = same_keys and all(torch.equal(expected[k], final[k]) for k in expected)
        diff = max(
            (float((expected[k].double() - final[k].double()).abs().max()) for k in expected),
            default=0.0,
        ) if same_keys else float("inf")  # fmt: skip
        steps = [
            json.loads(line)["step"]
            for line in (run_dir / "metrics.jsonl").read_text().splitlines()
            if line.strip() and "split" not in json.loads(line)
        ]
        status = read_status(run_dir)
    figures = {
        "kills": hook_kills + random_kills,
        "hook_kills": hook_kills,
        "random_kills": random_kills,
        "early_finishes": early,
        "steps": status.get("step"),
        "identical": int(identical),
        "max_abs_diff": diff,
        "metrics_duplicates": len(steps) - len(set(steps)),
        "seconds": round(time.perf_counter() - began, 1),
    }
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    sys.exit(0 if identical else 1)


if __name__ == "__main__":
    main()
