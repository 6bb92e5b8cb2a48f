"""Does the window stay responsive while it trains, and what does showing it cost?

Trains the default VAE headless (each time in a process of its own, as the command line
would) and with the studio window open (offscreen) and plotting live, alternately, while a
5 ms timer probes the event loop. Prints the worst and p99 lateness of that timer (and,
as a baseline, with the window idle) and the training images/s with the window divided by
headless.
Budgets (DESIGN.md): p99 < 20 ms, worst < 50 ms, ratio >= 0.90.
Prints `name=value` pairs on the last line.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py [--epochs 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from event_loop_probe import EventLoopProbe, percentile


def headless(epochs: int, runs_dir: Path) -> float:
    """Images per second of the engine alone, timed like the window's run: Started to end."""
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    began, images = None, 0
    trainer = Trainer(TrainRequest("vae", epochs=epochs, runs_dir=runs_dir))
    for report in trainer.run():
        if isinstance(report, reports.Started):
            began = time.perf_counter()
            batch = report.config["hyperparameters"]["batch_size"]
            images = (report.total_steps - report.start_step) * batch
    return images / (time.perf_counter() - began)


def headless_process(epochs: int, runs_dir: Path) -> float:
    """The headless run in a fresh process: torch's thread settings of the windowed run (which
    leaves a core to the window) must not leak into the baseline."""
    out = subprocess.run(
        [sys.executable, __file__, "--epochs", str(epochs), "--headless-into", str(runs_dir)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(out.stdout.split()[-1])


def with_window(epochs: int) -> tuple[float, list[float], list[float]]:
    """Images per second with the window open, and the probe timer's lateness in seconds while
    training and while idle."""
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    # Settings of its own, so the benchmark never changes a person's remembered form.
    app.setOrganizationName("image-studio-benchmark")
    app.setApplicationName("gui-responsiveness")
    from studio.app import prepare
    from studio.main_window import MainWindow

    prepare(app)
    window = MainWindow()
    window.show()
    window.start_loading()
    while window.train_panel.catalog is None:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    panel = window.train_panel
    kind = panel.catalog.kinds["vae"]
    panel.kind.setCurrentIndex(panel.kind.findData("vae"))
    panel.set_hyperparameters({f.name: f.default for f in kind.fields})  # the default VAE
    panel.epochs.setValue(epochs)
    panel.sample_every.setValue(100)

    probe = EventLoopProbe()
    # The same probe with the window idle: on a busy machine the OS alone delays the timer,
    # and this baseline tells that apart from stalls caused by training.
    probe.start()
    QTimer.singleShot(3000, app.quit)
    app.exec()
    probe.stop()
    idle = probe.lateness()
    timing: dict[str, float] = {}

    def started(report) -> None:
        timing["began"] = time.perf_counter()
        batch = report.config["hyperparameters"]["batch_size"]
        timing["images"] = (report.total_steps - report.start_step) * batch
        probe.start()  # probe only while training, not while torch is imported

    def state(name: str, _message: str) -> None:
        if name in ("completed", "stopped", "failed"):
            timing["ended"] = time.perf_counter()
            timing["state"] = name
            probe.stop()

    window.session.started.connect(started)
    window.session.state_changed.connect(state)
    panel.train_button.click()
    window.session.finished.connect(app.quit)
    app.exec()
    window.close()
    if timing.get("state") != "completed":
        raise SystemExit(f"the windowed run ended as {timing.get('state')}")
    return timing["images"] / (timing["ended"] - timing["began"]), probe.lateness(), idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--headless-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.headless_into is not None:  # the child process of headless_process
        print(headless(args.epochs, args.headless_into))
        return
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    headless_rates, window_rates, lateness, idle = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["IMAGE_STUDIO_RUNS"] = folder  # runs go to a scratch folder, not the user's
        # Headless and windowed runs alternate and the fastest of each counts (as in
        # engine_overhead.py): a run of a few seconds on a shared machine varies by a fifth
        # from one try to the next, and a passing load then hurts both sides alike.
        for _ in range(args.repeats):
            headless_rates.append(headless_process(args.epochs, Path(folder)))
            print(f"headless: {headless_rates[-1]:,.0f} images/s", flush=True)
            rate, late, quiet = with_window(args.epochs)
            window_rates.append(rate)
            lateness += late
            idle += quiet
            print(f"with the window: {rate:,.0f} images/s", flush=True)
        headless_rates.append(headless_process(args.epochs, Path(folder)))
        print(f"headless: {headless_rates[-1]:,.0f} images/s", flush=True)
    headless_rate, window_rate = max(headless_rates), max(window_rates)
    worst, p99 = max(lateness, default=float("nan")), percentile(lateness, 0.99)
    idle_worst, idle_p99 = max(idle, default=float("nan")), percentile(idle, 0.99)
    ratio = window_rate / headless_rate
    print(f"fastest with the window: {window_rate:,.0f} images/s ({ratio:.3f} of headless)")
    print(f"event loop: {len(lateness)} probes, worst {worst * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms")
    print(f"idle baseline: worst {idle_worst * 1000:.1f} ms, p99 {idle_p99 * 1000:.1f} ms")
    print(
        f"delay_worst_ms={worst * 1000:.1f} delay_p99_ms={p99 * 1000:.1f} "
        f"idle_worst_ms={idle_worst * 1000:.1f} idle_p99_ms={idle_p99 * 1000:.1f} "
        f"window_images_per_s={window_rate:.0f} headless_images_per_s={headless_rate:.0f} "
        f"throughput_ratio={ratio:.3f}"
    )


if __name__ == "__main__":
    main()
