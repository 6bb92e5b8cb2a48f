"""The event-loop probe the GUI benchmarks share: a 5 ms precise timer whose lateness tells
how long the window could not answer a person."""

from __future__ import annotations

import itertools
import time

PROBE_MS = 5


class EventLoopProbe:
    """Records when a 5 ms timer fires; `lateness()` is how late each tick came, in seconds."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.timer = QTimer(interval=PROBE_MS, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks.clear()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def lateness(self) -> list[float]:
        return lateness_of(self.ticks)


def lateness_of(ticks: list[float]) -> list[float]:
    return [max(0.0, b - a - PROBE_MS / 1000) for a, b in itertools.pairwise(ticks)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")
