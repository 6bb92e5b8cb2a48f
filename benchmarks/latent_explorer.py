"""How fast does the latent explorer answer a person?

Trains the default VAE briefly (headless, into a scratch runs folder), opens the latent-space
page offscreen and measures, through the page's real worker:
  - a slider drag: time from a slider's value change to the decoded pixmap set (median, p95,
    and frames/s = 1000 / median), against decoding one latent directly in this script;
  - a 16-step interpolation strip: time from a changed seed to the strip drawn (median),
    against decoding the 16 latents directly;
  - encoding and projecting the 500 test images for the map (seconds, in the worker).
Budgets: slider >= 60 frames/s, strip <= 50 ms, map < 1 s.
Prints `name=value` pairs on the last line.

    PYTHONPATH=. .venv/bin/python benchmarks/latent_explorer.py [--epochs 1] [--repeats 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def train(epochs: int, runs_dir: Path) -> Path:
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    for report in Trainer(TrainRequest("vae", epochs=epochs, runs_dir=runs_dir)).run():
        if isinstance(report, reports.Started):
            run_dir = Path(report.run_dir)
    return run_dir


def direct_decode(run_dir: Path, repeats: int) -> tuple[float, float]:
    """Median seconds to decode one latent, and a 16-step strip, with no GUI in between."""
    import torch

    from models.analysis.latent_paths import slerp
    from models.data.grids import to_uint8
    from models.runs.checkpoint import load_model
    from models.runs.folder import Run

    model = load_model(Run.open(run_dir))
    one, strip = [], []
    for i in range(repeats):
        latent = torch.randn(1, model.latent_dim, generator=torch.Generator().manual_seed(i))
        began = time.perf_counter()
        to_uint8(model.decode(latent))
        one.append(time.perf_counter() - began)
        a, b = torch.randn(2, model.latent_dim)
        began = time.perf_counter()
        to_uint8(model.decode(slerp(a, b, 16)))
        strip.append(time.perf_counter() - began)
    return statistics.median(one), statistics.median(strip)


def wait_for(condition, app) -> None:
    while not condition():
        app.processEvents()
        time.sleep(0.0002)


def through_the_page(run_dir: Path, repeats: int) -> dict[str, object]:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName("image-studio-benchmark")  # never touches a person's settings
    app.setApplicationName("latent-explorer")
    from studio.latent.explorer import LatentExplorer

    page = LatentExplorer(run_dir.parent)
    page.resize(1100, 750)
    page.show()
    page.show_run(run_dir)
    wait_for(lambda: page.analysis is not None and page.gallery is not None, app)

    redraws: list[float] = []
    sliders = page.sliders
    sliders.redrawn.connect(redraws.append)
    page.tabs.setCurrentWidget(sliders)
    slider = sliders.sliders[sliders.order[0]]
    slider_times = []
    for i in range(repeats):
        count = len(redraws)
        slider.setValue(-2.5 + 5.0 * (i % 50) / 49)  # a drag across the range and back
        wait_for(lambda count=count: len(redraws) > count, app)
        slider_times.append(redraws[-1])

    strip = page.interpolation
    page.tabs.setCurrentWidget(strip)
    strip.steps.setValue(16)
    wait_for(lambda: strip.frames is not None and len(strip.frames) == 16, app)
    strip_redraws: list[float] = []
    strip.redrawn.connect(strip_redraws.append)
    for i in range(max(10, repeats // 5)):
        count = len(strip_redraws)
        strip.start.seed.setValue(1000 + i)
        wait_for(lambda count=count: len(strip_redraws) > count, app)
    page.shutdown()
    page.close()
    return {
        "slider": slider_times,
        "strip": strip_redraws,
        "map_seconds": float(page.analysis["seconds"]),
        "map_points": len(page.analysis["points"]),
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["IMAGE_STUDIO_RUNS"] = folder
        run_dir = train(args.epochs, Path(folder))
        print(f"trained {run_dir.name}", flush=True)
        one, sixteen = direct_decode(run_dir, args.repeats)
        measured = through_the_page(run_dir, args.repeats)
    slider_ms = 1000 * statistics.median(measured["slider"])
    slider_p95_ms = 1000 * p95(measured["slider"])
    fps = 1000 / slider_ms
    strip_ms = 1000 * statistics.median(measured["strip"])
    print(f"direct decode of one latent: {one * 1000:.2f} ms; of a 16-step strip: "
          f"{sixteen * 1000:.2f} ms")  # fmt: skip
    print(f"slider change -> pixmap: median {slider_ms:.2f} ms, p95 {slider_p95_ms:.2f} ms, "
          f"{fps:.0f} frames/s ({slider_ms / (one * 1000):.1f}x the direct decode)")  # fmt: skip
    print(f"16-step strip after a change: median {strip_ms:.2f} ms "
          f"({strip_ms / (sixteen * 1000):.1f}x the direct decode)")  # fmt: skip
    print(f"map: {measured['map_points']} test images encoded and projected in "
          f"{measured['map_seconds']:.3f} s")  # fmt: skip
    print(
        f"slider_median_ms={slider_ms:.2f} slider_p95_ms={slider_p95_ms:.2f} "
        f"slider_fps={fps:.0f} direct_decode_ms={one * 1000:.2f} "
        f"slider_over_direct={slider_ms / (one * 1000):.2f} strip16_median_ms={strip_ms:.2f} "
        f"direct_strip16_ms={sixteen * 1000:.2f} "
        f"strip_over_direct={strip_ms / (sixteen * 1000):.2f} "
        f"map_encode_project_s={measured['map_seconds']:.3f} map_points={measured['map_points']}"
    )


if __name__ == "__main__":
    main()
