"""Run-folder reads on short-lived threads of their own, answered on the GUI thread.

A runs folder may sit on a slow or network disk and a run's metrics.jsonl grows to megabytes,
so the window never reads one on its GUI thread: it asks here, and the answer (or the one-line
reason it failed) comes back as a call on the GUI thread. For each purpose only the newest
request is answered, so a person clicking through runs sees the last one they chose.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from models.runs.folder import RunError

# What a damaged or vanished run folder raises while it is read.
READ_ERRORS = (RunError, OSError, ValueError, KeyError, TypeError)


class FolderReads(QObject):
    _answer = Signal(str, int, object, object)  # purpose, ticket, the callback, its argument

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._newest: dict[str, int] = {}
        self._threads: list[threading.Thread] = []
        # Connected to a slot of this object (made on the GUI thread), so an emit from a
        # reading thread is queued to the GUI thread.
        self._answer.connect(self._deliver)

    def read(self, purpose: str, read: Callable[[], Any], done: Callable[[Any], None],
             failed: Callable[[str], None]) -> None:  # fmt: skip
        """Run `read()` on a thread; call `done(value)` or `failed(message)` on this thread,
        unless a newer request of the same purpose came in meanwhile."""
        ticket = self._newest.get(purpose, 0) + 1
        self._newest[purpose] = ticket

        def work() -> None:
            try:
                callback, value = done, read()
            except READ_ERRORS as exc:
                callback, value = failed, str(exc)
            if self._newest.get(purpose) == ticket:
                self._answer.emit(purpose, ticket, callback, value)

        thread = threading.Thread(target=work, name=f"read-{purpose}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def forget(self, purpose: str) -> None:
        """Drop the answer of a request still being read."""
        self._newest[purpose] = self._newest.get(purpose, 0) + 1

    def wait(self, timeout: float = 5.0) -> None:
        for thread in list(self._threads):
            thread.join(timeout)

    @Slot(str, int, object, object)
    def _deliver(self, purpose: str, ticket: int, callback: Callable[[Any], None],
                 value: Any) -> None:  # fmt: skip
        # Checked again here: a newer request may have come in after this answer was sent.
        if self._newest.get(purpose) == ticket:
            callback(value)
