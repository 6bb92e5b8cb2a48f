"""When the quality monitor measures: the `quality_every` setting of a run.

auto   (the default) as often as a budget of the training time allows: each measurement
       is followed by at least 24 times its own cost in training, so measuring costs at
       most 4 % of the time (the studio promises 5 %), and never more often than every
       MIN_GAP seconds; the first comes after FIRST_AFTER seconds and FIRST_STEPS steps of
       training, so a short trial run (or a tiny one on a busy machine) never waits for a
       reference classifier to be trained
500    every 500 steps
30s    every 30 seconds of training (also 2m)
off    never
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

BUDGET = 0.04  # share of the training time the automatic schedule spends measuring
FIRST_AFTER = 30.0  # seconds of training before the first automatic measurement
FIRST_STEPS = 500  # steps of this session before the first automatic measurement
MIN_GAP = 15.0  # seconds of training between automatic measurements, at least
DEFAULT = "auto"
HELP = "auto (at most 4 % of the training time), off, a step count (500) or seconds (30s, 2m)"


@dataclass(frozen=True)
class Interval:
    mode: str  # "auto" | "steps" | "seconds" | "off"
    every: float = 0.0


def parse_interval(text: str | int | None) -> Interval:
    value = str(DEFAULT if text is None else text).strip().lower()
    if value in ("", "auto"):
        return Interval("auto")
    if value in ("off", "never", "0", "0s"):
        return Interval("off")
    if re.fullmatch(r"\d+", value):
        return Interval("steps", float(int(value)))
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|m)", value)
    if match and float(match.group(1)) > 0:
        factor = 60.0 if match.group(2) == "m" else 1.0
        return Interval("seconds", float(match.group(1)) * factor)
    raise ValueError(f"quality interval {text!r} is not one of: {HELP}")


class Schedule:
    """Says when a measurement is due. `clock` reads the run's training time in seconds
    (pauses left out), the same clock the measurements' cost is counted on."""

    def __init__(self, interval: Interval, clock: Callable[[], float]):
        self.interval = interval
        self.clock = clock
        self.last_end = clock()
        self.gap = FIRST_AFTER if interval.mode == "auto" else interval.every
        self.first_step: int | None = None  # the step this session started from
        self.measurements = 0

    def due(self, step: int) -> bool:
        mode = self.interval.mode
        if mode == "steps":
            return step > 0 and step % int(self.interval.every) == 0
        if self.first_step is None:
            self.first_step = step - 1
        if mode == "auto" and not self.measurements and step - self.first_step < FIRST_STEPS:
            return False
        if mode in ("auto", "seconds"):
            return self.clock() - self.last_end >= self.gap
        return False

    def measured(self, cost: float) -> None:
        """A measurement that took `cost` seconds (one-time preparation left out) just ended."""
        self.last_end = self.clock()
        self.measurements += 1
        if self.interval.mode == "auto":
            self.gap = max(MIN_GAP, cost * (1 - BUDGET) / BUDGET)
