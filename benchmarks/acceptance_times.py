"""The foundation's accuracy-in-time checks, run the way a person would run them.

Each command is a process of its own, timed from launch to exit, like `time` in a shell:
pytorch/examples' classifier and VAE (`benchmarks/reference_examples.py`, 3 epochs on the
mnist-5k split) against `image-studio train --kind cnn` and `image-studio train --kind vae
--epochs 1` (the VAE has no schedule, so its first epoch is the same as a longer run's).

Budgets: the CNN's final test accuracy >= 0.985 with `cnn_wall_ratio` <= 2; the VAE's test
loss <= 150 with `vae_wall_ratio` <= 1. The `*_loop_ratio` figures compare training time
alone (our metrics.jsonl clock against the examples' epoch loops), leaving out the start-up
both pay. Commands alternate, and with --repeats N the fastest of each counts. Prints
`name=value` pairs on the last line.

    python benchmarks/acceptance_times.py [--repeats 1] [--kinds cnn,vae]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUDGET = {"cnn": 2.0, "vae": 1.0}


def timed(command: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def studio_command() -> list[str]:
    script = Path(sys.executable).parent / "image-studio"
    return [str(script)] if script.exists() else [sys.executable, "-m", "studio"]


def reference(kind: str) -> tuple[float, float]:
    """Whole-process seconds of the example, and the seconds of its epoch loops."""
    wall, out = timed([sys.executable, str(HERE / "reference_examples.py"), "--kinds", kind])
    figures = dict(pair.split("=") for pair in out.strip().splitlines()[-1].split())
    return wall, float(figures[f"{kind}_seconds"])


def ours(kind: str, runs: Path) -> tuple[float, dict]:
    """Whole-process seconds of `image-studio train`, and the run's last test record."""
    before = set(runs.iterdir())
    epochs = ["--epochs", "1"] if kind == "vae" else []
    wall, _ = timed([*studio_command(), "train", "--kind", kind, "--runs-dir", str(runs),
                     *epochs])  # fmt: skip
    (run,) = set(runs.iterdir()) - before
    lines = (run / "metrics.jsonl").read_text().splitlines()
    tests = [r for r in map(json.loads, lines) if r.get("split") == "test"]
    last = tests[-1]
    if kind == "cnn":
        last["best_accuracy"] = max(r["test_accuracy"] for r in tests)
    return wall, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--kinds", default="cnn,vae")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        for kind in args.kinds.split(","):
            ref_wall, ref_loop, our_wall, our_train, record = [], [], [], [], None
            for _ in range(args.repeats):
                wall, loop = reference(kind)
                ref_wall.append(wall)
                ref_loop.append(loop)
                wall, record = ours(kind, runs)
                our_wall.append(wall)
                our_train.append(record["time"])
            wall_ratio = min(our_wall) / min(ref_wall)
            loop_ratio = min(our_train) / min(ref_loop)
            if kind == "cnn":
                result = {"cnn_accuracy": record["test_accuracy"],
                          "cnn_best_accuracy": record["best_accuracy"]}  # fmt: skip
                said = f"test accuracy {record['test_accuracy']:.3f} (budget >= 0.985)"
            else:
                result = {"vae_test_loss": round(record["test_loss"], 2)}
                said = f"test loss {record['test_loss']:.1f} after one epoch (budget <= 150)"
            print(f"{kind}: {said}; {min(our_wall):.1f} s against the example's "
                  f"{min(ref_wall):.1f} s, ratio {wall_ratio:.2f} (budget <= {BUDGET[kind]:g}); "
                  f"training alone {min(our_train):.2f} s against its loops' "
                  f"{min(ref_loop):.2f} s, ratio {loop_ratio:.2f}", flush=True)  # fmt: skip
            figures.update(result)
            figures.update({f"{kind}_wall_s": round(min(our_wall), 2),
                            f"ref_{kind}_wall_s": round(min(ref_wall), 2),
                            f"{kind}_wall_ratio": round(wall_ratio, 3),
                            f"{kind}_train_s": round(min(our_train), 2),
                            f"ref_{kind}_loop_s": round(min(ref_loop), 2),
                            f"{kind}_loop_ratio": round(loop_ratio, 3)})  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
