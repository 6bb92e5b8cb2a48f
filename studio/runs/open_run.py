"""The run the window shows: an object of its own that the pages observe.

Opening one reads its folder (config, status) on a thread of its own; when it is read,
`changed` tells every observer at once (the plot, the sample grids, the latent page, the
Classify page). A run that starts training in the window becomes the open run from its first
report, with nothing read from disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from models.runs.folder import Run
from studio.runs.folder_reads import FolderReads
from studio.runs.follower import steps_per_epoch


@dataclass(frozen=True)
class OpenedRun:
    path: str
    name: str
    kind: str
    steps_per_epoch: float | None
    live: bool  # training in this window (reports arrive live) rather than read from disk


def read_opened(path: str | Path) -> OpenedRun:
    """Runs on a reading thread."""
    run = Run.open(path)
    return OpenedRun(str(run.path), run.name, run.kind, steps_per_epoch(run), live=False)


class OpenRun(QObject):
    changed = Signal(object)  # OpenedRun, or None when no run is open
    failed = Signal(str)

    def __init__(self, reads: FolderReads, parent: QObject | None = None):
        super().__init__(parent)
        self.reads = reads
        self.current: OpenedRun | None = None

    @property
    def path(self) -> str | None:
        return self.current.path if self.current else None

    def open(self, path: str | Path) -> None:
        self.reads.read("open", lambda: read_opened(path), self._set, self.failed.emit)

    def set_live(self, path: str, kind: str, steps_per_epoch: float | None) -> None:
        self.reads.forget("open")  # a run picked a moment ago must not replace the live one
        self._set(OpenedRun(path, Path(path).name, kind, steps_per_epoch, live=True))

    def close(self) -> None:
        self.reads.forget("open")
        self._set(None)

    def _set(self, opened: OpenedRun | None) -> None:
        self.current = opened
        self.changed.emit(opened)
