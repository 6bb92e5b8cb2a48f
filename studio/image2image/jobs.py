"""The page's work off the GUI thread: reading and writing pictures and applying a run (one-shot
jobs for its ModelTasks thread), and the style job, long enough to have a thread of its own.

The engine is imported inside each job, so the GUI thread never runs (or imports) torch; what
comes back is plain data and uint8 numpy pictures.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.workers.threads import start_on_own_thread, unstarted_worker

MAX_PICTURE_PIXELS = 40_000_000  # a picture this large already takes 120 MB as RGB


def load_job(_context, path: str) -> dict[str, Any]:
    from models.style.pictures import load_picture

    pixels = load_picture(path)
    if pixels.shape[0] * pixels.shape[1] > MAX_PICTURE_PIXELS:
        raise ValueError(f"{Path(path).name} is too large ({pixels.shape[1]} x {pixels.shape[0]})")
    return {"path": path, "pixels": pixels}


def list_job(_context, runs_dir: str) -> list:
    from models.runs.folder import list_runs

    return list_runs(Path(runs_dir))


def save_job(_context, path: str, pixels) -> str:
    from models.style.pictures import save_picture

    save_picture(path, pixels)
    return path


def apply_job(context, run_dir: str, pixels) -> dict[str, Any]:
    """The picture through an image-to-image run, with the bicubic enlargement beside it."""
    from models.inference.upscale import bicubic, output_size, upscale
    from models.kinds.description import IMAGE_TO_IMAGE
    from models.runs.open_model import open_model

    weights = Path(run_dir) / "weights.safetensors"
    stamp = weights.stat().st_mtime_ns if weights.exists() else None
    key = ("image-to-image", run_dir, stamp)  # new weights (training went on) load anew
    model = context.cache.get(key)
    if model is None:
        context.cache.clear()
        model = open_model(run_dir, IMAGE_TO_IMAGE)
        context.cache[key] = model
    height, width = pixels.shape[:2]
    out_height, _ = output_size(model, height, width)
    output = upscale(model, pixels, should_stop=lambda: context.cancelled)
    factor = max(1, round(out_height / height))
    return {
        "run": run_dir,
        "output": output,
        "bicubic": bicubic(pixels, factor),
        "factor": factor,
    }


class StyleRunner(QObject):
    """One style job at a time, on a thread of its own; pause, resume and stop from the GUI."""

    started = Signal(object)  # models.style.transfer.StyleStarted
    step = Signal(object)  # StyleStep
    finished = Signal(object)  # StyleFinished
    failed = Signal(str)  # one line for a person
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._job = None  # the engine's StyleTransfer, made on the job's thread
        self._lock = threading.Lock()
        self._stop_asked = False
        self._pause_asked = False
        self._worker = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()  # set while no job runs (session.wait_for waits on it)
        self._done.set()

    @property
    def busy(self) -> bool:
        return self._worker is not None

    @property
    def paused(self) -> bool:
        return self._pause_asked

    def start(self, content, style, settings: dict[str, Any]) -> bool:
        if self.busy:
            return False
        self._stop_asked = self._pause_asked = False
        self._done.clear()
        worker = unstarted_worker(self._run, content, style, settings)
        worker.yielded.connect(self._dispatch)
        worker.errored.connect(self._errored)
        worker.finished.connect(self._finished)
        self._worker = worker
        self.busy_changed.emit(True)
        self._thread = start_on_own_thread(worker, "style-transfer")
        return True

    def pause(self) -> None:
        with self._lock:
            self._pause_asked = True
            if self._job is not None:
                self._job.pause()

    def resume(self) -> None:
        with self._lock:
            self._pause_asked = False
            if self._job is not None:
                self._job.resume()

    def stop(self) -> None:
        with self._lock:
            self._stop_asked = True
            if self._job is not None:
                self._job.stop()

    def wait(self, timeout: float = 10.0) -> bool:
        """Stop and wait for the thread to return (closing the page)."""
        from studio.training.session import wait_for

        self.stop()
        if not wait_for(self, timeout):
            return False
        if self._thread is not None:
            self._thread.join(timeout)
        return True

    # --- the job's thread ------------------------------------------------------------------
    def _run(self, content, style, settings: dict[str, Any]):
        try:
            from models.style.transfer import StyleSettings, StyleTransfer

            job = StyleTransfer(content, style, StyleSettings(**settings))
            with self._lock:
                self._job = job
                if self._pause_asked:
                    job.pause()
                if self._stop_asked:
                    job.stop()
            yield from job.run()
        finally:
            with self._lock:
                self._job = None
            self._done.set()

    def _dispatch(self, report) -> None:
        kind = type(report).__name__
        if kind == "StyleStarted":
            self.started.emit(report)
        elif kind == "StyleStep":
            self.step.emit(report)
        elif kind == "StyleFinished":
            self.finished.emit(report)

    def _errored(self, exc: BaseException) -> None:
        self.failed.emit(" ".join(str(exc).split()) or type(exc).__name__)

    def _finished(self) -> None:
        self._worker = None
        self.busy_changed.emit(False)
