"""The Train panel's "how long" line: said before Train is pressed, from the measured pace of
earlier runs of the same kind in the runs folder (models/training/eta.py reads them, off the GUI
thread), so 200 epochs of a GAN on a CPU do not come as a surprise."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from models.training.eta import PastSpeed, pick_speed
from studio.training.quick_timing import TIMING_NAME, QuickTiming


def rough_duration(seconds: float) -> str:
    """Rounded as an estimate deserves: "1 h 20 min", "40 s"."""
    seconds = max(round(seconds), 1)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def describe_estimate(
    speeds: list[PastSpeed], kind, dataset: str, device: str | None, epochs: int
) -> str:
    """`kind`: the catalog's KindInfo of the kind in the form."""
    speed = pick_speed(speeds, kind.kind, dataset, device)
    if speed is None:
        return (
            f"How long: no earlier {kind.title} run in the runs folder to measure. Time a few "
            "steps, or see the time left in the status bar once training runs."
        )
    total = speed.seconds_per_epoch * epochs
    where = speed.device.upper() if speed.device else "this machine"
    caveat = "" if speed.dataset == dataset else f" on {speed.dataset}"
    source = TIMING_NAME if speed.run_name == TIMING_NAME else f"run {speed.run_name}"
    return (
        f"Takes about {rough_duration(total)} for {epochs} epochs: "
        f"{rough_duration(speed.seconds_per_epoch)} an epoch on {where}{caveat}, as measured by "
        f"{source}."
    )


class DurationEstimate(QWidget):
    """The line itself, with "Time it" for a kind no earlier run has timed: a few steps of the
    form's run on a thread of their own (studio/training/quick_timing.py)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.speeds: list[PastSpeed] = []  # from the runs folder
        self.timed: list[PastSpeed] = []  # from quick timings this session
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.time_button = QPushButton("Time it")
        self.time_button.setToolTip(
            "Train a few steps of these settings to see how long an epoch takes (seconds)"
        )
        self.time_button.hide()
        self.timing = QuickTiming(self)
        self.timing.measured.connect(self._measured)
        self.timing.failed.connect(self._failed)
        self.time_button.clicked.connect(self._time_it)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.time_button, 0, Qt.AlignmentFlag.AlignTop)
        self._form = None  # (kind info, dataset, device, epochs, request) of the last refresh

    def text(self) -> str:
        return self.label.text()

    def set_speeds(self, speeds: list[PastSpeed]) -> None:
        self.speeds = list(speeds)
        self._show()

    def refresh(self, kind, dataset: str, device: str | None, epochs: int, request, busy: bool):
        """`request`: a function giving the form's TrainRequest arguments (read when timing)."""
        self._form = (kind, dataset, device, epochs, request, busy)
        self._show()

    def _show(self) -> None:
        if self._form is None:
            return
        kind, dataset, device, epochs, _request, busy = self._form
        speeds = self.speeds + self.timed
        self.label.setText(describe_estimate(speeds, kind, dataset, device, epochs))
        unknown = pick_speed(speeds, kind.kind, dataset, device) is None
        self.time_button.setVisible(unknown)
        self.time_button.setEnabled(not busy and not self.timing.busy)

    def _time_it(self) -> None:
        if self._form is None or self.timing.busy:
            return
        self.timing.start(self._form[4]())
        self.time_button.setEnabled(False)
        self.label.setText("Timing a few steps…")

    def _measured(self, speed: PastSpeed) -> None:
        self.timed = [speed, *self.timed]
        self._show()

    def _failed(self, message: str) -> None:
        self._show()
        self.label.setText(message)

    def shutdown(self) -> None:
        self.timing.wait()
