"""Trainer throughput against a hand-written PyTorch loop on the same model and batches.

For each kind (default settings, mnist-5k, CPU unless --device says otherwise) a plain loop
over the same batches calls the same optimisation step and, like the loops of
pytorch/examples, passes over the test split at the end of each epoch; `Trainer.run()` does
everything it does (batched loss reports, metrics.jsonl, sample grids, the same evaluation,
checkpoints). Budget: ratio >= 0.95.

The two run in lockstep, an epoch of one and then an epoch of the other, each timed on its
own, so a slow spell of a shared host falls on both: run one after the other, totals of a
few seconds moved by up to a fifth from run to run, which swamped an overhead of a few
percent. The Trainer's clock stands still while the hand loop runs, so its time-based
choices (a checkpoint at most every 5 s, a report at most every 0.1 s) are those of a run of
its own. `ratio` is the median over epochs of the hand loop's epoch time divided by the
Trainer's, `total_ratio` the same for the sums; the first epoch, which warms both up, is left
out of both and of `own_share`.

`own_share` is the share of the Trainer's time spent outside the model's train_step and
evaluate (reports, metrics.jsonl, grids, checkpoints); a ratio of 0.95 corresponds to 0.05.

    python benchmarks/engine_overhead.py [--epochs 6] [--kinds vae,dcgan,cnn]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import torch

from models.data.datasets import load_dataset
from models.kinds.hyperparameters import apply_overrides, config_to_dict
from models.kinds.registry import model_class
from models.runs.checkpoint import build_model
from models.training import loop as training_loop
from models.training import reports
from models.training.devices import resolve_device
from models.training.trainer import Trainer, TrainRequest


def hand_loop(
    kind: str,
    epochs: int,
    device: torch.device,
    dataset: str = "mnist-5k",
    settings: dict | None = None,
) -> Iterator[float]:
    """Seconds of each epoch of a plain loop: batches by index, one train_step each, then
    the test split evaluated."""
    data = load_dataset(dataset).to(device)
    cls = model_class(kind)
    chosen = apply_overrides(cls.config_class, settings or {})
    config = {
        "kind": kind,
        "hyperparameters": config_to_dict(chosen),
        "dataset": {"image_shape": list(data.info.image_shape),
                    "class_names": list(data.info.class_names)},
    }  # fmt: skip
    torch.manual_seed(0)
    model = build_model(config, device)
    batch_size = chosen.batch_size
    model.prepare(epochs * data.steps_per_epoch(batch_size), 0)
    model.train_mode(True)
    for epoch in range(epochs):
        start = time.perf_counter()
        for batch in data.train_batches(batch_size, seed=0, epoch=epoch):
            model.train_step(batch)
        model.train_mode(False)
        model.evaluate(data.test_batches())
        model.train_mode(True)
        yield time.perf_counter() - start


class TimedMethods:
    """Adds up the seconds spent inside some methods of a class while active."""

    def __init__(self, cls, names: tuple[str, ...]):
        self.cls, self.names, self.seconds = cls, names, 0.0
        self.originals = {name: getattr(cls, name) for name in names}

    def __enter__(self):
        for name, original in self.originals.items():
            setattr(self.cls, name, self._timed(original))
        return self

    def __exit__(self, *exc):
        for name, original in self.originals.items():
            setattr(self.cls, name, original)

    def _timed(self, original):
        def call(model, *args):
            began = time.perf_counter()
            try:
                return original(model, *args)
            finally:
                self.seconds += time.perf_counter() - began

        return call


class PausingClock:
    """`time` for the training loop's module: perf_counter stands still while the run is paused."""

    def __init__(self):
        self.hidden = 0.0
        self.since: float | None = None

    def pause(self) -> None:
        self.since = time.perf_counter()

    def go_on(self) -> None:
        if self.since is not None:
            self.hidden += time.perf_counter() - self.since
            self.since = None

    def perf_counter(self) -> float:
        return time.perf_counter() - self.hidden


def trainer_epochs(
    kind: str,
    epochs: int,
    device: str,
    runs_dir: Path,
    inside: TimedMethods,
    dataset: str = "mnist-5k",
    settings: dict | None = None,
) -> Iterator[tuple[float, float]]:
    """Seconds of each epoch of Trainer.run() from its Started report on, and of those the
    seconds inside the model's methods; the clocks run only while the generator does. The
    last epoch includes the run's finish."""
    clock = PausingClock()
    request = TrainRequest(
        kind=kind,
        epochs=epochs,
        device=device,
        runs_dir=runs_dir,
        dataset=dataset,
        hyperparameters=dict(settings or {}),
    )
    with mock.patch.object(training_loop, "time", clock):
        run = Trainer(request).run()
        for report in run:
            if isinstance(report, reports.Started):
                break
        spent = in_model = 0.0
        done = 0
        while True:
            clock.go_on()
            began, model_before = time.perf_counter(), inside.seconds
            report = next(run, None)
            spent += time.perf_counter() - began
            in_model += inside.seconds - model_before
            clock.pause()
            if report is None:
                yield spent, in_model
                return
            if isinstance(report, reports.Evaluation):
                done += 1
                if done < epochs:
                    yield spent, in_model
                    spent = in_model = 0.0


def measure(
    kind: str,
    epochs: int,
    device: torch.device,
    runs: Path,
    dataset: str = "mnist-5k",
    settings: dict | None = None,
) -> dict[str, float]:
    cls = model_class(kind)
    batch_size = apply_overrides(cls.config_class, settings or {}).batch_size
    images_per_epoch = load_dataset(dataset).steps_per_epoch(batch_size) * batch_size
    hand_times: list[float] = []
    engine_times: list[float] = []
    model_times: list[float] = []
    with TimedMethods(cls, ("train_step", "evaluate")) as inside:
        hand = hand_loop(kind, epochs, device, dataset, settings)
        engine = trainer_epochs(kind, epochs, str(device), runs, inside, dataset, settings)
        for _ in range(epochs):
            hand_times.append(next(hand))
            seconds, in_model = next(engine)
            engine_times.append(seconds)
            model_times.append(in_model)
    hand_times, engine_times, model_times = hand_times[1:], engine_times[1:], model_times[1:]
    per_epoch = [h / e for h, e in zip(hand_times, engine_times, strict=True)]
    return {
        "hand_images_per_s": round(images_per_epoch * len(hand_times) / sum(hand_times), 1),
        "trainer_images_per_s": round(images_per_epoch * len(engine_times) / sum(engine_times), 1),
        "ratio": round(statistics.median(per_epoch), 3),
        "total_ratio": round(sum(hand_times) / sum(engine_times), 3),
        "own_share": round(1 - sum(model_times) / sum(engine_times), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--kinds", default="vae,dcgan,cnn")
    args = parser.parse_args()
    device = resolve_device(args.device)
    figures = {}
    with tempfile.TemporaryDirectory() as runs:
        for kind in args.kinds.split(","):
            found = measure(kind, args.epochs, device, Path(runs))
            print(f"{kind}: hand loop {found['hand_images_per_s']:.0f} img/s, Trainer "
                  f"{found['trainer_images_per_s']:.0f} img/s; ratio {found['ratio']:.3f} "
                  f"(median of epochs; totals {found['total_ratio']:.3f}); the Trainer's own "
                  f"work: {found['own_share']:.1%} of its time", flush=True)  # fmt: skip
            figures.update({f"{kind}_{name}": value for name, value in found.items()})
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
