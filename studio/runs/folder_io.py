"""The run history's file work on short-lived threads of their own: reading the runs folder
(every run's config, status, notes and quality figures) and saving a run's note. A slow or
network disk then never freezes the window; the answers come back as plain data through
signals, delivered on the GUI thread. Unlike studio/runs/folder_reads.py it coalesces: one read
at a time, and one more after it when asked meanwhile (the timer asks every few seconds)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from models.analysis.quality.history import QualityReader
from models.runs.notes import write_notes
from studio.runs.listing import read_listing


class RunsFolderIO(QObject):
    listing_read = Signal(str, list)  # runs folder, Listing
    notes_saved = Signal(str, str)  # run folder, "" when saved or why it was not
    # From the threads to this object (on the GUI thread); None: the read failed.
    _read_done = Signal(str, object)
    _save_done = Signal(str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.quality = QualityReader()  # used by one read at a time
        self._reading = False  # a read is out: asked again, it reads once more when back
        self._pending: str | None = None
        self._saving = 0
        self._threads: list[threading.Thread] = []
        self._read_done.connect(self._delivered)
        self._save_done.connect(self._saved)

    # --- reading the folder -------------------------------------------------------------
    def read(self, runs_dir: str | Path) -> None:
        """Read the runs folder; asked while a read is out, once more after it (newest folder)."""
        if self._reading:
            self._pending = str(runs_dir)
            return
        self._reading = True
        self._start(self._read, str(runs_dir), "runs-listing")

    def _read(self, folder: str) -> None:
        listing = None
        try:
            listing = read_listing(Path(folder), self.quality)
        except OSError:
            listing = []  # the folder cannot be listed (gone, no permission): nothing in it
        finally:
            self._read_done.emit(folder, listing)

    def _delivered(self, folder: str, listing) -> None:
        self._reading = False
        if listing is not None:
            self.listing_read.emit(folder, listing)
        if self._pending is not None:
            folder, self._pending = self._pending, None
            self.read(folder)

    # --- saving a note ------------------------------------------------------------------
    def save_notes(self, run_dir: str | Path, label: str, note: str) -> None:
        self._saving += 1
        self._start(self._save, (str(run_dir), label, note), "run-notes")

    def _save(self, job: tuple[str, str, str]) -> None:
        path, label, note = job
        error = "unexpected error"
        try:
            write_notes(Path(path), label, note)
            error = ""
        except OSError as exc:
            error = str(exc)
        finally:
            self._save_done.emit(path, error)

    def _saved(self, path: str, error: str) -> None:
        self._saving -= 1
        self.notes_saved.emit(path, error)

    # --- threads ------------------------------------------------------------------------
    def _start(self, target, argument, name: str) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=target, args=(argument,), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    @property
    def busy(self) -> bool:
        return self._reading or self._pending is not None or self._saving > 0

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait (on the GUI thread) until every read and save is done and its answer handled;
        for closing and for scripted use such as screenshots. False when time ran out."""
        deadline = time.monotonic() + timeout
        while self.busy and time.monotonic() < deadline:
            for thread in list(self._threads):
                thread.join(0.01)
            QCoreApplication.processEvents()
        return not self.busy

    def wait(self, timeout: float = 5.0) -> None:
        """Let the threads end (their answers are dropped if the window is gone)."""
        for thread in list(self._threads):
            thread.join(timeout)
