"""The bridge for one-shot model work (decode a latent, encode a test split, classify files).

Training has its own bridge (`session.py`); everything else a panel asks of a model runs here,
in one long-lived background thread per panel that keeps the loaded model between jobs, so a
slider drag pays for a decode and nothing else. Jobs are plain functions `job(context, *args)`
defined where the engine may be imported (inside the function): the GUI thread only ever sees
what they return or yield, which must be plain data or CPU numpy arrays.

A job submitted under a name replaces one still waiting under the same name, so a fast slider
drag decodes the newest value instead of a backlog; a generator job streams its items
(`item` signal) and can be cancelled between items.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Signal

from studio.workers.threads import start_on_own_thread, unstarted_worker


class JobCancelled(Exception):
    """Raised inside a job by `context.check()` when the job was cancelled."""


class JobContext:
    """What a job sees: a cache that outlives it (the loaded model) and its cancel flag."""

    def __init__(self, owner: ModelTasks, name: str):
        self.cache = owner._cache
        self.name = name
        self._owner = owner

    @property
    def cancelled(self) -> bool:
        return self._owner._cancelled(self.name)

    def check(self) -> None:
        if self.cancelled:
            raise JobCancelled(self.name)

    def report(self, done: int, total: int) -> None:
        """Progress of a long job that returns one result (a many-step sampling run)."""
        self._owner.progress.emit(self.name, int(done), int(total))


class ModelTasks(QObject):
    """One background thread that runs a panel's model jobs, newest first per name."""

    result = Signal(str, object)  # job name, what a plain job returned
    item = Signal(str, object)  # job name, one item a generator job yielded
    done = Signal(str, bool)  # job name, cancelled
    failed = Signal(str, str)  # job name, a message for a person
    # job name, steps done, steps in all; emitted from the worker thread, so queued to the GUI
    progress = Signal(str, int, int)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Condition()
        self._pending: OrderedDict[str, tuple[Callable, tuple]] = OrderedDict()
        self._cancel: set[str] = set()
        self._running: str | None = None
        self._closing = False
        self._cache: dict[str, Any] = {}  # touched only by the worker thread
        self._worker = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._done.set()

    # --- GUI thread -----------------------------------------------------------------------
    def submit(self, name: str, job: Callable, *args: Any) -> None:
        """Queue `job(context, *args)`; a job of the same name still waiting is dropped."""
        with self._lock:
            self._pending.pop(name, None)
            self._pending[name] = (job, args)
            self._cancel.discard(name)
            self._lock.notify_all()
        self._ensure_worker()

    def cancel(self, name: str) -> None:
        """Drop a waiting job of that name and stop a running one at its next item."""
        with self._lock:
            self._pending.pop(name, None)
            if self._running == name:
                self._cancel.add(name)

    def is_pending(self, name: str) -> bool:
        with self._lock:
            return name in self._pending or self._running == name

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop the thread after the job in hand (a running generator stops at its next item)."""
        with self._lock:
            self._closing = True
            self._pending.clear()
            if self._running is not None:
                self._cancel.add(self._running)
            self._lock.notify_all()
        deadline = time.monotonic() + timeout
        while self._worker is not None and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 20)
            self._done.wait(0.01)
        # `finished` reaches the GUI thread a moment before the thread itself has returned.
        if self._worker is None and self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        return self._worker is None

    def _ensure_worker(self) -> None:
        if self._worker is not None:
            return
        with self._lock:
            self._closing = False
        self._done.clear()
        worker = unstarted_worker(self._serve)
        worker.yielded.connect(self._dispatch)
        worker.errored.connect(lambda exc: self.failed.emit("", f"{type(exc).__name__}: {exc}"))
        worker.finished.connect(self._finished)
        self._worker = worker
        self.busy_changed.emit(True)
        self._thread = start_on_own_thread(worker, f"model-jobs-{id(self):x}")

    def _dispatch(self, message: tuple) -> None:
        what, name, value = message
        if what == "result":
            self.result.emit(name, value)
        elif what == "item":
            self.item.emit(name, value)
        elif what == "done":
            self.done.emit(name, value)
        elif what == "failed":
            self.failed.emit(name, value)

    def _finished(self) -> None:
        self._worker = None
        self.busy_changed.emit(False)

    # --- worker thread --------------------------------------------------------------------
    def _cancelled(self, name: str) -> bool:
        with self._lock:
            return name in self._cancel or self._closing

    def _next_job(self) -> tuple[str, Callable, tuple] | None:
        with self._lock:
            while not self._pending and not self._closing:
                self._lock.wait(0.5)
            if self._closing:
                return None
            name, (job, args) = self._pending.popitem(last=False)
            self._running = name
            return name, job, args

    def _serve(self) -> Iterator[tuple[str, str, Any]]:
        try:
            while (picked := self._next_job()) is not None:
                name, job, args = picked
                yield from self._run_one(name, job, args)
                with self._lock:
                    self._running = None
                    self._cancel.discard(name)
        finally:
            self._cache.clear()  # the model goes with the thread that used it
            self._done.set()

    def _run_one(self, name: str, job: Callable, args: tuple) -> Iterator[tuple[str, str, Any]]:
        context = JobContext(self, name)
        try:
            out = job(context, *args)
            if inspect.isgenerator(out):
                for value in out:
                    if context.cancelled:
                        out.close()
                        break
                    yield ("item", name, value)
                yield ("done", name, context.cancelled)
            else:
                yield ("result", name, out)
        except JobCancelled:
            yield ("done", name, True)
        except Exception as exc:  # a job's failure is a message, never a dead thread
            message = str(exc) or type(exc).__name__
            yield ("failed", name, message)
