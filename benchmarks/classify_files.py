"""How fast does a dropped folder of images get classified in the window?

Writes 1,000 28x28 PNG digits to a scratch folder, trains a small classifier briefly (or uses
--run), opens the studio window offscreen, drops the folder on it and times the drop to the
last row drawn, while a 5 ms timer probes the event loop. Then classifies the same 1,000
images as tensors directly with the model, and prints end-to-end images/s against that raw
model rate. Budgets (DESIGN.md): under 5 s end to end, no event-loop stall over 50 ms.
Prints `name=value` pairs on the last line.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python benchmarks/classify_files.py [--run RUN]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from event_loop_probe import EventLoopProbe, percentile

FILES = 1000


def write_pngs(folder: Path) -> np.ndarray:
    from PIL import Image

    from models.data.datasets import load_mnist_5k

    dataset = load_mnist_5k()
    images = dataset.train_images[:FILES, 0].numpy()
    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{index:04d}.png")
    return np.ascontiguousarray(images)


def train_small(runs_dir: Path) -> Path:
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    request = TrainRequest(
        "cnn", "mnist-5k", {"batch_size": 64, "width": 8}, epochs=1, sample_every=1000,
        runs_dir=runs_dir,
    )  # fmt: skip
    seen = list(Trainer(request).run())
    return Path(next(r for r in seen if isinstance(r, reports.Started)).run_dir)


def in_window(run: Path, folder: Path) -> tuple[float, int, list[float]]:
    """Seconds from the drop to the last row drawn, rows shown, probe lateness in seconds."""
    from PySide6.QtCore import QCoreApplication, QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName("image-studio-benchmark")  # never the person's own settings
    app.setApplicationName("classify-files")
    from studio.app import prepare
    from studio.main_window import MainWindow

    prepare(app)
    window = MainWindow()
    window.show()
    window.start_loading()
    panel = window.classify_panel
    while window.train_panel.catalog is None:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    panel.set_current_run(str(run))
    while "classes" not in panel.message.text():  # the classifier is chosen before the drop
        QCoreApplication.processEvents()
        time.sleep(0.01)

    probe = EventLoopProbe()
    timing: dict[str, float] = {}

    def finished(name: str, _cancelled: bool) -> None:
        if name.startswith("classify") and not panel._active:
            panel.table.viewport().repaint()  # the last rows drawn, not just stored
            timing["end"] = time.perf_counter()
            probe.stop()
            app.quit()

    panel.tasks.done.connect(finished, Qt.ConnectionType.QueuedConnection)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    probe.start()
    timing["start"] = time.perf_counter()
    window.dropEvent(event)
    app.exec()
    rows = panel.results.rowCount()
    window.close()
    return timing["end"] - timing["start"], rows, probe.lateness()


def raw_model(run: Path, images) -> float:
    """Images per second of the model alone on the same 1,000 images, already tensors, in the
    panel's batch size."""
    import torch

    from models.runs.checkpoint import load_model
    from models.runs.folder import Run
    from studio.classify.jobs import STREAM_BATCH

    model = load_model(Run.open(run), "auto")
    tensors = torch.from_numpy(images)[:, None].float().div_(255.0)
    model.classify(tensors[:STREAM_BATCH])  # warm-up, as the window's worker is warm
    began = time.perf_counter()
    for start in range(0, tensors.shape[0], STREAM_BATCH):
        model.classify(tensors[start : start + STREAM_BATCH])
    return tensors.shape[0] / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", help="a classifier run folder (default: train one briefly)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["IMAGE_STUDIO_RUNS"] = str(scratch / "runs")  # never the person's runs
        images = write_pngs(scratch / "digits")
        run = Path(args.run) if args.run else train_small(scratch / "runs")
        seconds, rows, lateness = in_window(run, scratch / "digits")
        model_rate = raw_model(run, images)
    rate = rows / seconds
    worst, p99 = max(lateness, default=float("nan")), percentile(lateness, 0.99)
    print(f"window: {rows} files in {seconds:.2f} s from drop to last row ({rate:,.0f} images/s)")
    print(f"model alone: {model_rate:,.0f} images/s; window / model = {rate / model_rate:.3f}")
    print(f"event loop: {len(lateness)} probes, worst {worst * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms")
    print(
        f"files={rows} seconds={seconds:.3f} images_per_s={rate:.0f} "
        f"model_images_per_s={model_rate:.0f} ratio={rate / model_rate:.3f} "
        f"delay_worst_ms={worst * 1000:.1f} delay_p99_ms={p99 * 1000:.1f}"
    )


if __name__ == "__main__":
    main()
