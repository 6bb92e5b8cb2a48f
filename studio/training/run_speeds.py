"""Reads how fast earlier runs trained (models/training/eta.py) on a short-lived thread of its own,
so the Train panel can say how long a run will take without run I/O on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from models.training.eta import past_speeds


class RunSpeeds(QObject):
    ready = Signal(list)  # list[PastSpeed], newest run first

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._asked = 0
        self._thread: threading.Thread | None = None

    def read(self, runs_dir: str | Path) -> None:
        """Read the folder again; only the newest request's answer is delivered."""
        self._asked += 1
        asked = self._asked
        self._thread = threading.Thread(
            target=self._read, args=(Path(runs_dir), asked), name="run-speeds", daemon=True
        )
        self._thread.start()

    def _read(self, runs_dir: Path, asked: int) -> None:
        speeds = past_speeds(runs_dir)
        if asked == self._asked:
            # Emitted from this thread, delivered on the GUI thread (a queued connection).
            self.ready.emit(speeds)

    def wait(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
