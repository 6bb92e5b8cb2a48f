"""Time a few training steps of the form's run before it is started, for the "how long" line
when no earlier run of the kind is there to learn the pace from. The engine runs on a thread
of its own, in a temporary runs folder that is removed afterwards; the GUI gets a PastSpeed."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from models.training.eta import PastSpeed

TIMED_STEPS = 15  # after the first report: enough to pass the first, slower steps
TIMING_NAME = "a quick timing here"


def time_steps(request: dict[str, Any], steps: int = TIMED_STEPS) -> PastSpeed:
    """Train the request for a few steps and say how long an epoch of it takes (engine code:
    call it off the GUI thread)."""
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    with tempfile.TemporaryDirectory(prefix="image-studio-timing-") as folder:
        plan = {**request, "epochs": 1, "runs_dir": Path(folder), "fork_from": None}
        plan["sample_every"] = 10**9  # grids would be timed too, and make no sense here
        plan["quality_every"] = "off"  # so would quality measurements, and their reference
        trainer = Trainer(TrainRequest(**plan))
        per_epoch, device, first, pace = 0, "", None, None
        for report in trainer.run():
            if isinstance(report, reports.Started):
                per_epoch, device = report.steps_per_epoch, report.config.get("device", "")
            elif isinstance(report, reports.Losses) and not trainer.stopping:
                if first is None:
                    first = (report.elapsed, report.step)
                elif report.step - first[1] >= steps or report.step >= report.total_steps:
                    pace = (report.elapsed - first[0]) / (report.step - first[1])
                    trainer.stop()
        if pace is None:  # an epoch shorter than the timing: it ran whole
            raise RuntimeError("the run was too short to time; it will take seconds")
    return PastSpeed(TIMING_NAME, request["kind"], request["dataset"], device, pace * per_epoch)


class QuickTiming(QObject):
    measured = Signal(object)  # PastSpeed
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, request: dict[str, Any]) -> None:
        if self.busy:
            return
        self.thread = threading.Thread(
            target=self._time, args=(dict(request),), name="quick-timing", daemon=True
        )
        self.thread.start()

    def _time(self, request: dict[str, Any]) -> None:
        try:
            self.measured.emit(time_steps(request))
        except Exception as exc:  # any engine error: one line in the form, nothing else
            self.failed.emit(f"Could not time it: {exc}")

    def wait(self, timeout: float = 30.0) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
