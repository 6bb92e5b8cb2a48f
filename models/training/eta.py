"""How long training will take: a steady ETA while a run trains, and an estimate before one
starts, from how fast earlier runs of the same kind trained on this machine.

Plain Python: the studio's status bar and Train panel use it, and so can a command line.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from models.runs.json_files import CONFIG_LIMIT, STATUS_LIMIT, read_json

ETA_WINDOW = 60.0  # seconds of steps the rate is measured over


class SmoothedEta:
    """Remaining time from the steps of the last minute, not from the last report alone.

    The trainer reports ~10 times a second; one slow batch (an evaluation, a checkpoint, a
    window being dragged) made the per-report rate, and so the ETA, jump by minutes. Over a
    minute of steps such a hiccup moves the estimate by a second or two.
    """

    def __init__(self, window: float = ETA_WINDOW):
        self.window = window
        self.points: deque[tuple[float, int]] = deque()  # (training seconds, step)

    def reset(self) -> None:
        """A new run, or training that resumes after a pause: the old pace says nothing."""
        self.points.clear()

    def add(self, elapsed: float, step: int) -> None:
        if self.points and (elapsed < self.points[-1][0] or step < self.points[-1][1]):
            self.points.clear()  # time or steps went backwards: another session's figures
        self.points.append((elapsed, step))
        # Keep one point at or before the window's start, so the span is a whole minute.
        while len(self.points) > 2 and self.points[1][0] <= elapsed - self.window:
            self.points.popleft()

    def steps_per_second(self) -> float | None:
        if len(self.points) < 2:
            return None
        (t0, s0), (t1, s1) = self.points[0], self.points[-1]
        if t1 <= t0 or s1 <= s0:
            return None
        return (s1 - s0) / (t1 - t0)

    def seconds_left(self, total_steps: int) -> float | None:
        rate = self.steps_per_second()
        if rate is None:
            return None
        return max(total_steps - self.points[-1][1], 0) / rate


@dataclass(frozen=True)
class PastSpeed:
    """How fast one earlier run trained: seconds per epoch, and what it was."""

    run_name: str
    kind: str
    dataset: str
    device: str
    seconds_per_epoch: float


def past_speed(run_dir: Path) -> PastSpeed | None:
    """The pace of a run folder from its config.json and status.json (no metrics read)."""
    try:
        # Any folder of the runs folder is read: a FIFO or a device there must not hang this.
        config = read_json(run_dir / "config.json", CONFIG_LIMIT)
        status = read_json(run_dir / "status.json", STATUS_LIMIT)
        epochs = int(config["training"]["epochs"])
        total, step = int(status["total_steps"]), int(status["step"])
        elapsed = float(status["elapsed"])
        kind, dataset = str(config["kind"]), str(config["dataset"]["name"])
        device = str(config.get("device", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if epochs <= 0 or total <= 0 or step <= 0 or not math.isfinite(elapsed) or elapsed <= 0:
        return None
    steps_per_epoch = total / epochs
    return PastSpeed(run_dir.name, kind, dataset, device, elapsed / step * steps_per_epoch)


def past_speeds(runs_dir: Path) -> list[PastSpeed]:
    """Every timed run in the folder, newest first (run names start with their date)."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    found = [past_speed(entry) for entry in runs_dir.iterdir() if entry.is_dir()]
    return sorted((s for s in found if s is not None), key=lambda s: s.run_name, reverse=True)


def pick_speed(
    speeds: list[PastSpeed], kind: str, dataset: str, device: str | None
) -> PastSpeed | None:
    """The newest run of this kind, preferring the same dataset and device ("auto" or None:
    any device). Another kind's pace says nothing: a DCGAN epoch costs many CNN epochs."""
    same_kind = [s for s in speeds if s.kind == kind]

    def device_fits(speed: PastSpeed) -> bool:
        return device in (None, "", "auto") or speed.device.startswith(device)

    for fits in (
        lambda s: s.dataset == dataset and device_fits(s),
        lambda s: device_fits(s),
        lambda s: True,
    ):
        for speed in same_kind:
            if fits(speed):
                return speed
    return None
