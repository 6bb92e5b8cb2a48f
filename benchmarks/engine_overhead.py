"""Trainer throughput against a hand-written PyTorch loop on the same model and batches.

For each kind (default settings, mnist-5k, CPU unless --device says otherwise) it times a
plain loop over the same batches calling the same optimisation step and, like the loops of
pytorch/examples, one pass over the test split at the end of each epoch; then
`Trainer.run()` with everything it does (batched loss reports, metrics.jsonl, sample grids,
the same evaluation, checkpoints). The two alternate `--repeats` times and the fastest of
each counts, so a passing load on a shared machine hurts both alike. Budget: ratio >= 0.95.

`bare_ratio` compares with the loop's training steps alone, as if evaluating each epoch were
overhead too (the CNN's pass over 500 test images costs about 4 % of its epoch).

The two totals move by up to a fifth from one run of a few seconds to the next on a shared
machine, which can swamp an overhead of a few percent. `own_share` does not depend on that:
the median share of the Trainer's time spent outside the model's train_step and evaluate
(reports, metrics.jsonl, grids, checkpoints). A ratio of 0.95 corresponds to 0.05 here.

    python benchmarks/engine_overhead.py [--epochs 4] [--repeats 3] [--kinds vae,dcgan,cnn]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from models import reports
from models.checkpoint import build_model
from models.data import load_mnist_5k
from models.devices import resolve_device
from models.hyperparameters import config_to_dict
from models.registry import model_class
from models.training import Trainer, TrainRequest


def hand_loop(kind: str, epochs: int, device: torch.device) -> tuple[float, float]:
    """images/s of the loop (batches by index, one train_step each, the test split evaluated
    after each epoch), and images/s of its training steps alone."""
    data = load_mnist_5k().to(device)
    cls = model_class(kind)
    config = {
        "kind": kind,
        "hyperparameters": config_to_dict(cls.config_class()),
        "dataset": {"image_shape": list(data.info.image_shape),
                    "class_names": list(data.info.class_names)},
    }  # fmt: skip
    torch.manual_seed(0)
    model = build_model(config, device)
    batch_size = cls.config_class().batch_size
    model.prepare(epochs * data.steps_per_epoch(batch_size))
    model.train_mode(True)
    images = 0
    evaluating = 0.0
    start = time.perf_counter()
    for epoch in range(epochs):
        for batch in data.train_batches(batch_size, seed=0, epoch=epoch):
            model.train_step(batch)
            images += batch.images.shape[0]
        began = time.perf_counter()
        model.train_mode(False)
        model.evaluate(data.test_batches())
        model.train_mode(True)
        evaluating += time.perf_counter() - began
    seconds = time.perf_counter() - start
    return images / seconds, images / (seconds - evaluating)


def trainer_run(kind: str, epochs: int, device: str, runs_dir: Path) -> tuple[float, float]:
    """images/s of Trainer.run() from its first step to its last report, and the share of
    that time spent outside the model's train_step and evaluate: the engine's own work."""
    request = TrainRequest(kind=kind, epochs=epochs, device=device, runs_dir=runs_dir)
    start = None
    steps = 0
    cls = model_class(kind)
    batch_size = cls.config_class().batch_size
    inside = [0.0]
    originals = {name: getattr(cls, name) for name in ("train_step", "evaluate")}

    def timed(original):
        def call(self, *args):
            began = time.perf_counter()
            try:
                return original(self, *args)
            finally:
                inside[0] += time.perf_counter() - began

        return call

    for name, original in originals.items():
        setattr(cls, name, timed(original))
    try:
        for report in Trainer(request).run():
            if isinstance(report, reports.Started):
                start = time.perf_counter()
                steps = report.total_steps
                inside[0] = 0.0
    finally:
        for name, original in originals.items():
            setattr(cls, name, original)
    seconds = time.perf_counter() - start
    return steps * batch_size / seconds, (seconds - inside[0]) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--kinds", default="vae,dcgan,cnn")
    args = parser.parse_args()
    device = resolve_device(args.device)
    figures = {}
    with tempfile.TemporaryDirectory() as runs:
        for kind in args.kinds.split(","):
            hand, bare, engine, own = [], [], [], []
            for _ in range(args.repeats):
                with_tests, steps_only = hand_loop(kind, args.epochs, device)
                hand.append(with_tests)
                bare.append(steps_only)
                rate, share = trainer_run(kind, args.epochs, args.device, Path(runs))
                engine.append(rate)
                own.append(share)
            ratio = max(engine) / max(hand)
            bare_ratio = max(engine) / max(bare)
            own_share = sorted(own)[len(own) // 2]
            print(f"{kind}: hand loop {max(hand):.0f} img/s ({max(bare):.0f} without its test "
                  f"passes), Trainer {max(engine):.0f} img/s, ratio {ratio:.3f} "
                  f"(bare {bare_ratio:.3f}); the Trainer's own work: {own_share:.1%} of its "
                  f"time", flush=True)  # fmt: skip
            figures.update({f"{kind}_hand_images_per_s": round(max(hand), 1),
                            f"{kind}_trainer_images_per_s": round(max(engine), 1),
                            f"{kind}_ratio": round(ratio, 3),
                            f"{kind}_bare_ratio": round(bare_ratio, 3),
                            f"{kind}_own_share": round(own_share, 4)})  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
