"""Do the quality figures mean what they say, and what does the monitor cost?

1. Sanity on real images (mnist-5k, in the features of its reference classifier, trained
   first if the runs folder has none): the 500 held-out test digits against the training
   digits give a far smaller FID than the same digits with Gaussian noise, blur or a blank
   square, and FID rises with each corruption's level (five levels each); a set of only five
   of the ten classes has about half the recall of a set of all ten, and class_max >= 0.18.
2. A DCGAN trained for --seconds with the monitor on its automatic schedule: the monitor's
   share of the training time (budget <= 5 %), FID at the first and the last measurement,
   and how long a stop pressed while it measures takes to end the run.

    python benchmarks/quality_sanity.py [--seconds 180] [--runs-dir DIR] [--reference-epochs N]

Ends with one line of name=value pairs. Timings depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from models.analysis.quality import monitor as monitor_module
from models.analysis.quality import reference as references
from models.analysis.quality.features import describe_images
from models.analysis.quality.measure import describe_real, format_figures, measure
from models.data.datasets import load_mnist_5k
from models.training import reports
from models.training.trainer import Trainer, TrainRequest

LEVELS = 5


def noisy(images: torch.Tensor, level: int, generator: torch.Generator) -> torch.Tensor:
    sigma = 0.08 * level  # in [0, 1] pixel units
    noise = torch.randn(images.shape, generator=generator) * sigma
    return (images.float() / 255 + noise).clamp(0, 1)


def blurred(images: torch.Tensor, level: int) -> torch.Tensor:
    sigma = 0.5 * (level + 1)  # 1 .. 3 pixels: the mildest already softens every stroke
    radius = int(3 * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    out = images.float() / 255
    out = F.conv2d(F.pad(out, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    out = F.conv2d(F.pad(out, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    return out


def blanked(images: torch.Tensor, level: int) -> torch.Tensor:
    side = 4 + 4 * level  # a black square of 8 .. 24 pixels in the middle
    out = images.float() / 255
    begin = (images.shape[-1] - side) // 2
    out[..., begin : begin + side, begin : begin + side] = 0
    return out


def sanity(runs_dir: Path) -> dict[str, float]:
    data = load_mnist_5k()
    building = references.ensure_reference(runs_dir, "mnist-5k", torch.device("cpu"))
    began = time.perf_counter()
    try:
        while True:
            report = next(building)
            if isinstance(report, reports.Notice):
                print(report.message)
    except StopIteration as finished:
        reference = finished.value
    print(f"reference ready in {time.perf_counter() - began:.1f} s")
    real = describe_real(reference, data.train_images)

    def fid(images):
        return measure(real, describe_images(reference, images)).figures

    test = data.test_images
    clean = fid(test)
    print(f"test digits: {format_figures(clean)}")
    figures = {"fid_test": clean["fid"], "precision_test": clean["precision"],
               "recall_test": clean["recall"]}  # fmt: skip
    generator = torch.Generator().manual_seed(0)
    corruptions = {
        "noise": lambda level: noisy(test, level, generator),
        "blur": lambda level: blurred(test, level),
        "square": lambda level: blanked(test, level),
    }
    rising = True
    smallest_ratio = float("inf")
    for name, corrupt in corruptions.items():
        values = [fid(corrupt(level))["fid"] for level in range(1, LEVELS + 1)]
        print(f"{name}: FID over levels 1-{LEVELS}: " + ", ".join(f"{v:.3g}" for v in values))
        rising &= all(b > a for a, b in itertools.pairwise(values))
        smallest_ratio = min(smallest_ratio, values[0] / max(clean["fid"], 1e-9))
        figures[f"fid_{name}_1"] = values[0]
        figures[f"fid_{name}_5"] = values[-1]
    figures["fid_rises"] = float(rising)
    figures["weakest_corruption_over_clean"] = smallest_ratio
    # Five classes against ten, with as many images in each set.
    five = test[data.test_labels < 5]
    ten = test[torch.randperm(len(test), generator=generator)[: len(five)]]
    half, whole = fid(five), fid(ten)
    print(f"five classes: {format_figures(half)}")
    print(f"ten classes, as many images: {format_figures(whole)}")
    figures["recall_five_over_ten"] = half["recall"] / max(whole["recall"], 1e-9)
    figures["class_max_five"] = half["class_max"]
    return figures


def monitor_share(runs_dir: Path, seconds: float) -> dict[str, float]:
    spent = [0.0]
    stop_asked: list[float] = []
    original = monitor_module.QualityMonitor.measure
    trainer: Trainer | None = None
    began = time.perf_counter()

    def timed_measure(self, step):
        start = time.perf_counter()
        if start - began > seconds and not stop_asked:
            # Press Stop 0.2 s into this measurement: the worst moment for a prompt stop.
            def press():
                stop_asked.append(time.perf_counter())
                trainer.stop()

            threading.Timer(0.2, press).start()
        try:
            yield from original(self, step)
        finally:
            spent[0] += time.perf_counter() - start

    monitor_module.QualityMonitor.measure = timed_measure
    request = TrainRequest(kind="dcgan", epochs=10_000, runs_dir=runs_dir, sample_every=500)
    trainer = Trainer(request)
    measured: list[reports.Quality] = []
    ended = None
    try:
        for report in trainer.run():
            if isinstance(report, reports.Quality):
                measured.append(report)
                print(f"step {report.step} ({report.elapsed:.0f} s): "
                      f"{format_figures(report.figures)} [{report.seconds:.2f} s]")  # fmt: skip
            elif isinstance(report, reports.Notice):
                print(report.message)
            elif isinstance(report, reports.StateChanged) and report.state == "stopped":
                ended = time.perf_counter()
    finally:
        monitor_module.QualityMonitor.measure = original
    elapsed = float(trainer.run_folder.status().get("elapsed", 0.0))
    figures = {
        "dcgan_seconds": elapsed,
        "measurements": float(len(measured)),
        "monitor_share": spent[0] / max(elapsed, 1e-9),
        "monitor_share_recurring": sum(r.seconds for r in measured) / max(elapsed, 1e-9),
        "stop_latency": (ended - stop_asked[0]) if ended and stop_asked else float("nan"),
    }
    if measured:
        figures["fid_first"] = measured[0].figures["fid"]
        figures["fid_last"] = measured[-1].figures["fid"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=180.0, help="DCGAN training time")
    parser.add_argument("--runs-dir", type=Path, help="where the reference and the run go "
                        "(default: a temporary folder)")  # fmt: skip
    parser.add_argument("--reference-epochs", type=int, help="train the reference shorter "
                        "than the classifier's default (a quick look only)")  # fmt: skip
    args = parser.parse_args()
    if args.reference_epochs:
        references.EPOCHS = args.reference_epochs
    runs_dir = args.runs_dir or Path(tempfile.mkdtemp(prefix="quality-sanity-"))
    figures = sanity(runs_dir)
    figures.update(monitor_share(runs_dir, args.seconds))
    print(format_figures(figures))


if __name__ == "__main__":
    main()
