"""A runs folder with a good run among hostile ones, and a watchdog that turns a hang into a
failure: the fixture every command is run against (tests/models/test_hostile_runs.py).

A hostile run folder is one a person could never make with Image Studio but can end up with:
a FIFO or a device where a JSON file belongs, a config edited by hand into the wrong types,
or one nested deeper than the parser can follow.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from models.data.datasets import load_mnist_5k

# Each hostile folder and what its config.json or status.json holds; the good run's config is
# the base, so only the one named thing is wrong.
BAD_CONFIG_VALUES = {
    "string-width": ("hyperparameters", "width", "sixteen"),
    "number-class-names": ("dataset", "class_names", 5),
    "huge-image-shape": ("dataset", "image_shape", [1, 1_000_000, 1_000_000]),
}
DEEP_LEVELS = 100_000
# Hang detector only: a command that is fine answers in seconds; one stuck on a FIFO never does.
HANG_SECONDS = 600


def tiny_folder_dataset(folder: Path, per_class: int = 12) -> Path:
    """Two classes of real digits as PNG files: a dataset that trains in a few steps."""
    data = load_mnist_5k()
    images, labels = data.test_images[:, 0].numpy(), data.test_labels.numpy()
    for digit in (0, 1):
        target = folder / str(digit)
        target.mkdir(parents=True, exist_ok=True)
        for i, row in enumerate(np.flatnonzero(labels == digit)[:per_class]):
            Image.fromarray(images[row]).save(target / f"{i:03d}.png")
    return folder


def _copy_run(good: Path, target: Path) -> Path:
    shutil.copytree(good, target)
    return target


def make_hostile_runs(runs_dir: Path, good_run: Path) -> dict[str, Path]:
    """Copies of `good_run` in `runs_dir`, each made hostile in one way, plus the good run
    itself (under "good"). Returns the folders by name."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    folders = {"good": _copy_run(good_run, runs_dir / "good")}
    config = json.loads((good_run / "config.json").read_text())

    folders["fifo-status"] = _copy_run(good_run, runs_dir / "fifo-status")
    (folders["fifo-status"] / "status.json").unlink()
    os.mkfifo(folders["fifo-status"] / "status.json")

    folders["fifo-config"] = _copy_run(good_run, runs_dir / "fifo-config")
    (folders["fifo-config"] / "config.json").unlink()
    os.mkfifo(folders["fifo-config"] / "config.json")

    folders["zero-config"] = _copy_run(good_run, runs_dir / "zero-config")
    (folders["zero-config"] / "config.json").unlink()
    (folders["zero-config"] / "config.json").symlink_to("/dev/zero")

    folders["deep-config"] = _copy_run(good_run, runs_dir / "deep-config")
    deep = json.dumps({**config, "notes": "@"}).replace(
        '"@"', "[" * DEEP_LEVELS + "]" * DEEP_LEVELS
    )
    (folders["deep-config"] / "config.json").write_text(deep)

    for name, (section, key, value) in BAD_CONFIG_VALUES.items():
        folders[name] = _copy_run(good_run, runs_dir / name)
        changed = {**config, section: {**config[section], key: value}}
        (folders[name] / "config.json").write_text(json.dumps(changed))

    folders["string-dataset"] = _copy_run(good_run, runs_dir / "string-dataset")
    changed = {**config, "dataset": config["dataset"]["name"]}
    (folders["string-dataset"] / "config.json").write_text(json.dumps(changed))
    return folders


def fifos_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_fifo()]


class Watchdog:
    """Fails a command that hangs instead of hanging the test run: once `seconds` pass, it
    opens every FIFO in `folder` for writing and closes it again, so a reader blocked on one
    gets an end of file and the command returns, and `fired` says it had to."""

    def __init__(self, folder: Path, seconds: float = HANG_SECONDS):
        self.folder, self.seconds = folder, seconds
        self.fired = False
        self._done = threading.Event()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.fired = True
        while not self._done.is_set():
            for fifo in fifos_in(self.folder):
                with contextlib.suppress(OSError):  # ENXIO: nobody is reading this one
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            self._done.wait(0.2)

    @contextlib.contextmanager
    def watching(self) -> Iterator[Watchdog]:
        thread = threading.Thread(target=self._watch, name="hang-detector", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._done.set()
            thread.join()
