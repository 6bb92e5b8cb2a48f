"""The only bridge between the engine and Qt.

A Trainer runs in a superqt GeneratorWorker; each report it yields crosses to the GUI thread
as it is (reports are plain data and CPU numpy) and leaves as a typed signal. The engine is
imported inside the worker, so the GUI thread never pays for (or runs) torch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Signal

from models.kinds.description import KindDescription, titles_with
from models.kinds.hyperparameters import FieldInfo
from models.training import reports
from studio.workers.threads import start_on_own_thread, unstarted_worker


@dataclass(frozen=True)
class KindInfo:
    kind: str
    title: str
    summary: str
    fields: tuple[FieldInfo, ...]
    default_epochs: int = 10
    # What a saved run that lacks a setting trained with (the kind's settings_before_fields),
    # as pairs so the catalog stays hashable.
    settings_before_fields: tuple[tuple[str, Any], ...] = ()
    description: KindDescription | None = None  # roles, latent layout, decode cost, metric

    def has(self, role: str) -> bool:
        return self.description is not None and self.description.has(role)

    @property
    def draws_images(self) -> bool:
        return self.description is None or self.description.draws_images


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    description: str


@dataclass(frozen=True)
class Catalog:
    """What the engine offers, as plain data, so the panels can be built without torch."""

    kinds: dict[str, KindInfo]
    default_kind: str
    datasets: tuple[DatasetInfo, ...]
    device_choices: tuple[str, ...]
    devices_present: tuple[str, ...]

    def titles_with(self, role: str) -> str:
        """'A, B or C': the titles of the kinds that play a role (models.kinds.description), for
        messages that must not name kinds themselves."""
        return titles_with([k.description for k in self.kinds.values() if k.description], role)


def load_catalog() -> Catalog:
    """Imports the engine (and so torch): call it off the GUI thread."""
    from models.data.datasets import CHOICES
    from models.kinds.description import describe_kind
    from models.kinds.hyperparameters import describe
    from models.kinds.registry import DEFAULT_KIND, KINDS
    from models.training.devices import DEVICE_CHOICES, available_devices

    kinds = {}
    for name, cls in KINDS.items():
        fields = tuple(describe(cls.config_class))
        kinds[name] = KindInfo(name, cls.title, cls.summary, fields, cls.default_epochs,
                               tuple(cls.settings_before_fields.items()),
                               describe_kind(cls))  # fmt: skip
    datasets = tuple(DatasetInfo(c.name, c.title, c.description) for c in CHOICES)
    return Catalog(kinds, DEFAULT_KIND, datasets, DEVICE_CHOICES, tuple(available_devices()))


def wait_for(owner, timeout: float) -> bool:
    """Block until `owner`'s worker has finished and its last signals were delivered."""
    deadline = time.monotonic() + timeout
    while owner.busy and time.monotonic() < deadline:
        # Process events so queued reports and `finished` reach their slots; a bare thread
        # join would leave them stranded and the window would never learn the run ended.
        # Clicks are held back: a Train pressed while the window closes must not start a run.
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, 50)
        owner._done.wait(0.01)
    # `finished` reaches the GUI thread a moment before the worker's thread has returned.
    thread = getattr(owner, "_thread", None)
    if not owner.busy and thread is not None:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not owner.busy


class CatalogLoader(QObject):
    """Loads the catalog in the background; the window is already on screen meanwhile."""

    ready = Signal(object)  # Catalog
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._worker = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._done.set()

    def start(self) -> None:
        self._done.clear()
        worker = unstarted_worker(self._load)
        worker.returned.connect(self.ready)
        worker.errored.connect(lambda exc: self.failed.emit(f"{type(exc).__name__}: {exc}"))
        worker.finished.connect(self._finished)
        self._worker = worker  # keep a reference until it is done
        self._thread = start_on_own_thread(worker, "catalog-loader")

    def _load(self) -> Catalog:
        try:
            return load_catalog()
        finally:
            self._done.set()

    def _finished(self) -> None:
        self._worker = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def wait(self, timeout: float = 30.0) -> bool:
        return wait_for(self, timeout)


class TrainingSession(QObject):
    """Runs one Trainer at a time and forwards its reports as typed signals."""

    started = Signal(object)  # reports.Started
    loading = Signal(str, int, int)  # what, done, total
    losses = Signal(object)  # reports.Losses
    samples = Signal(object)  # reports.Samples
    evaluation = Signal(object)  # reports.Evaluation
    quality = Signal(object)  # reports.Quality
    checkpoint = Signal(object)  # reports.Checkpoint
    notice = Signal(str, str)  # level, message
    device_changed = Signal(str)  # reports.DeviceChanged's text
    state_changed = Signal(str, str)  # state, message
    busy_changed = Signal(bool)  # a worker is (no longer) running
    finished = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._worker = None
        self._thread: threading.Thread | None = None
        self._trainer = None  # set from the worker thread once the Trainer exists
        self._lock = threading.Lock()
        self._stop_requested = False
        self._done = threading.Event()
        self._done.set()
        self.run_dir: str | None = None
        self.state = "idle"

    # --- starting -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker is not None

    def start(self, request: dict[str, Any]) -> None:
        """`request`: models.training.trainer.TrainRequest's keyword arguments, as plain data."""
        self._launch(dict(request), None, None)

    def resume_run(self, path: str | Path, epochs: int | None = None) -> None:
        self._launch(None, Path(path), epochs)

    def _launch(self, request: dict | None, resume: Path | None, epochs: int | None) -> None:
        if self.busy:
            raise RuntimeError("a training run is already going; stop it first")
        self._trainer = None
        self._stop_requested = False
        self._done.clear()
        self.run_dir = str(resume) if resume else None
        worker = unstarted_worker(self._train, request, resume, epochs)
        worker.yielded.connect(self._dispatch)
        worker.errored.connect(self._errored)
        worker.finished.connect(self._finished)
        self._worker = worker
        self._set_state("starting")
        self.busy_changed.emit(True)
        self._thread = start_on_own_thread(worker, "training")

    def _train(self, request: dict | None, resume: Path | None, epochs: int | None) -> Iterator:
        """Runs in the worker thread: builds the Trainer there so torch stays off the GUI."""
        try:
            from models.training.trainer import Trainer, TrainRequest

            # Torch keeps its default of one thread per core, as on the command line: with
            # Python's default 5 ms GIL switch interval the window's few milliseconds of
            # painting barely delay the training threads, while holding a core back cost a
            # third of the speed (benchmarks/gui_responsiveness.py on 2 cores: 0.59 of headless
            # with one thread, 0.90 with two; worst event-loop delay 19 -> 30 ms).
            if resume is not None:
                trainer = Trainer(resume=resume, epochs=epochs)
            else:
                trainer = Trainer(TrainRequest(**request))
            with self._lock:
                self._trainer = trainer
                if self._stop_requested:  # Stop pressed before the Trainer existed
                    trainer.stop()
            yield from trainer.run()
        finally:
            self._done.set()

    # --- control (GUI thread; the Trainer's own controls are thread-safe) -----------------
    def pause(self) -> None:
        with self._lock:
            if self._trainer is not None:
                self._trainer.pause()

    def resume(self) -> None:
        with self._lock:
            if self._trainer is not None:
                self._trainer.resume()

    def stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            if self._trainer is not None:
                self._trainer.stop()
        if self.busy:
            self._set_state("stopping")

    def wait(self, timeout: float = 5.0) -> bool:
        return wait_for(self, timeout)

    # --- reports -> signals ---------------------------------------------------------------
    def _dispatch(self, report: object) -> None:
        if isinstance(report, reports.Losses):
            self.losses.emit(report)
        elif isinstance(report, reports.Samples):
            self.samples.emit(report)
        elif isinstance(report, reports.Started):
            self.run_dir = report.run_dir
            self.started.emit(report)
        elif isinstance(report, reports.Loading):
            self.loading.emit(report.what, report.done, report.total)
        elif isinstance(report, reports.Evaluation):
            self.evaluation.emit(report)
        elif isinstance(report, reports.Quality):
            self.quality.emit(report)
        elif isinstance(report, reports.Checkpoint):
            self.checkpoint.emit(report)
        elif isinstance(report, reports.Notice):
            self.notice.emit(report.level, report.message)
        elif isinstance(report, reports.DeviceChanged):
            self.device_changed.emit(report.device)
        elif isinstance(report, reports.StateChanged):
            self._set_state(report.state, report.message)

    def _errored(self, exc: BaseException) -> None:
        # An engine bug reaches the person as one message, not a traceback on stderr.
        self.notice.emit("error", f"Training failed: {type(exc).__name__}: {exc}")
        self._set_state("failed", str(exc))

    def _finished(self) -> None:
        self._worker = None
        with self._lock:
            self._trainer = None
        if self.state not in ("stopped", "completed", "failed"):
            self._set_state("stopped")
        self.busy_changed.emit(False)
        self.finished.emit()

    def _set_state(self, state: str, message: str = "") -> None:
        if state == "running" and self._stop_requested:
            state = "stopping"  # a late "running" report must not re-enable Pause
        self.state = state
        self.state_changed.emit(state, message)
