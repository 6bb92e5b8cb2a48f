"""Following a run that may still grow: its metrics and sample grids as they are added."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from models.runs.folder import Run, RunError

FOLLOW_MS = 500


def steps_per_epoch(run: Run) -> float | None:
    """Not stored as such; the planned steps divided by the planned epochs give it."""
    try:
        epochs = int(run.config["training"]["epochs"])
    except (RunError, KeyError, TypeError, ValueError):
        return None
    total = int(run.status().get("total_steps", 0) or 0)
    return total / epochs if total and epochs else None


class RunFollower(QObject):
    """Reads a run's metrics.jsonl from where it left off, so a run trained elsewhere (the CLI,
    another machine's synced folder) is followed live, and a finished one simply loads.

    The reading happens on a thread of its own (never the GUI thread): a finished run's
    metrics can be megabytes on a slow disk. What it reads reaches the GUI thread queued, and
    what was read for a run no longer followed is dropped there."""

    records = Signal(str, list)  # run name, new metric records
    grids_changed = Signal()
    _read = Signal(int, str, list)  # generation, run name, new records
    _grids = Signal(int)  # generation
    _caught_up = Signal(int, str)  # generation, run name: all the file held has been sent

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.generation = 0
        self.caught_up: str | None = None  # the followed run, once what it held is shown
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._read.connect(self._deliver_records)
        self._grids.connect(self._deliver_grids)
        self._caught_up.connect(self._deliver_caught_up)

    def follow(self, path: str | Path) -> None:
        self.stop()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._follow, args=(Path(path), self.generation, self._stop),
            name="run-follower", daemon=True,
        )  # fmt: skip
        self._thread.start()

    def stop(self) -> None:
        self.generation += 1
        self.caught_up = None
        self._stop.set()

    def wait(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _follow(self, path: Path, generation: int, stop: threading.Event) -> None:
        try:
            run = Run.open(path)
        except RunError:
            return
        offset, grids = 0, None
        while not stop.is_set() and run.path.is_dir():  # a deleted run is no longer followed
            try:
                new, offset = run.read_metrics(offset)
                count = len(run.grid_steps()) + len(run.grid_steps("reconstructions"))
            except (RunError, OSError):
                new, count = [], grids
            if new:
                self._read.emit(generation, run.name, new)
            if grids is not None and count != grids:
                self._grids.emit(generation)
            if grids is None:
                self._caught_up.emit(generation, run.name)
            grids = count
            stop.wait(FOLLOW_MS / 1000)

    @Slot(int, str, list)
    def _deliver_records(self, generation: int, name: str, new: list) -> None:
        if generation == self.generation:
            self.records.emit(name, new)

    @Slot(int, str)
    def _deliver_caught_up(self, generation: int, name: str) -> None:
        if generation == self.generation:
            self.caught_up = name

    @Slot(int)
    def _deliver_grids(self, generation: int) -> None:
        if generation == self.generation:
            self.grids_changed.emit()
