"""Device, epoch/step, images/s, ETA, a progress bar, and the one place messages appear."""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QWidget

from models.training.eta import SmoothedEta
from studio.theme import notice_colour

HISTORY = 20  # notices kept in the tooltip
# The widest the loading/step line may get; longer text is cut (it is in the tooltip).
STEP_WIDTH = 340
DEVICE_NAMES = {"cuda": "CUDA", "mps": "Apple MPS", "cpu": "CPU"}


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "–"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class StudioStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.notice_label = QLabel()
        self.notice_label.setObjectName("notices")
        # A label asks for its whole text's width; a long message would otherwise widen the
        # window past a small screen. It takes the room left and is cut there instead (the
        # whole message stays in the tooltip's history).
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notice_label.setMinimumWidth(0)
        self.device_label = QLabel("device –")
        self.step_label = QLabel("")
        self.step_label.setMaximumWidth(STEP_WIDTH)
        self.rate_label = QLabel("")
        self.eta_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.notices: list[tuple[str, str, str]] = []  # (time, level, message)
        self.notice_source: str | None = None  # the page whose message is shown, if any
        self.eta = SmoothedEta()
        # Notices take the stretch on the left; training figures stay at fixed places.
        self.addWidget(self.notice_label, 1)
        for widget in (self.device_label, self.step_label, self.rate_label, self.eta_label):
            self.addPermanentWidget(widget)
        self.addPermanentWidget(self.progress)

    def show_devices(self, catalog) -> None:
        """Before any run: the device "auto" will train on (a run names its own when it starts)."""
        for name in ("cuda", "mps", "cpu"):  # the order "auto" prefers them in
            if name in catalog.devices_present:
                self.device_label.setText(DEVICE_NAMES[name])
                self.device_label.setToolTip(
                    f"Training runs on {DEVICE_NAMES[name]} (device 'auto'); present here: "
                    + ", ".join(DEVICE_NAMES[d] for d in catalog.devices_present)
                )
                return

    def show_started(self, report) -> None:
        """A reports.Started."""
        self.eta.reset()
        self.device_label.setText(report.device)
        self.progress.setRange(0, max(report.total_steps, 1))
        self.progress.setValue(report.start_step)
        self.progress.show()
        per_epoch = max(report.steps_per_epoch, 1)
        self._epochs = epochs = max(report.total_steps // per_epoch, 1)
        epoch = report.start_step // per_epoch
        self.step_label.setText(
            f"epoch {epoch}/{epochs} · step {report.start_step}/{report.total_steps}"
        )

    def show_loading(self, what: str, done: int, total: int) -> None:
        self.step_label.setText(what)
        self.step_label.setToolTip(what)
        self.progress.show()
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 0)  # busy indicator: the size is not known yet

    def show_losses(self, report) -> None:
        """A reports.Losses: already batched in time, so this runs at most ~10 times a second."""
        epochs = getattr(self, "_epochs", 0)
        self.step_label.setText(
            f"epoch {report.epoch}/{epochs} · step {report.step}/{report.total_steps}"
        )
        self.eta.add(report.elapsed, report.step)
        if getattr(self, "_state", "") == "paused":
            return  # a report flushed on the way into a pause is not a pace
        self.rate_label.setText(f"{report.images_per_second:,.0f} images/s")
        # The trainer's own ETA follows its last few reports; this one, the last minute.
        seconds = self.eta.seconds_left(report.total_steps)
        self.eta_label.setText(
            f"ETA {format_duration(report.eta_seconds if seconds is None else seconds)}"
        )
        self.progress.setRange(0, max(report.total_steps, 1))
        self.progress.setValue(report.step)

    def show_state(self, state: str, message: str = "") -> None:
        self._state = state
        if state in ("stopped", "completed", "failed"):
            self.eta_label.setText(state)
            self.rate_label.setText("")
            self.progress.hide()
        elif state == "paused":
            # No images go by while paused: a pace left on screen would be a stale number.
            self.eta_label.setText("paused")
            self.rate_label.setText("")

    def notify(self, level: str, message: str) -> None:
        """Every message from the worker lands here: shown now, kept in the tooltip."""
        self._show_notice(None, level, message)

    def page_notice(self, source: str, level: str, message: str) -> None:
        """A page's message: shown like any other, but it belongs to that page, which takes it
        back (an empty message) when its cause is gone; see withdraw()."""
        if message:
            self._show_notice(source, level, message)
        else:
            self.withdraw(source)

    def withdraw(self, source: str) -> None:
        """Clear the shown message if `source` made it (the tooltip keeps the history)."""
        if self.notice_source == source:
            self.notice_label.setText("")
            self.notice_source = None

    def _show_notice(self, source: str | None, level: str, message: str) -> None:
        self.notices.append((time.strftime("%H:%M:%S"), level, message))
        del self.notices[:-HISTORY]
        self.notice_source = source
        color = notice_colour(level)
        text = html.escape(message)
        self.notice_label.setText(f'<span style="color:{color}">{text}</span>' if color else text)
        self.notice_label.setToolTip(
            "<br>".join(f"{t} {lv}: {html.escape(m)}" for t, lv, m in self.notices)
        )
