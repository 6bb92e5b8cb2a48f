"""Following a run that may still grow: its metrics and sample grids as they are added."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

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
    another machine's synced folder) is followed live, and a finished one simply loads."""

    records = Signal(str, list)  # run name, new metric records
    grids_changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.run: Run | None = None
        self.offset = 0
        self.grid_count = 0
        self.timer = QTimer(self, interval=FOLLOW_MS)
        self.timer.timeout.connect(self.poll)

    def follow(self, path: str | Path) -> None:
        self.run = Run.open(path)
        self.offset = 0
        self.grid_count = len(self.run.grid_steps()) + len(self.run.grid_steps("reconstructions"))
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.run = None

    def poll(self) -> None:
        if self.run is None:
            return
        if not self.run.path.is_dir():  # deleted while open
            self.stop()
            return
        new, self.offset = self.run.read_metrics(self.offset)
        if new:
            self.records.emit(self.run.name, new)
        count = len(self.run.grid_steps()) + len(self.run.grid_steps("reconstructions"))
        if count != self.grid_count:
            self.grid_count = count
            self.grids_changed.emit()
