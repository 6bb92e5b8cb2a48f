"""Time estimates without Qt: the ETA smoothed over the last minute of steps, and the pace of
earlier runs read from their folders."""

from __future__ import annotations

import json
from pathlib import Path

from models.training.eta import SmoothedEta, past_speeds, pick_speed


def instant_eta(previous: tuple[float, int], now: tuple[float, int], total: int) -> float:
    """The ETA from the last report alone (what swung by minutes)."""
    rate = (now[1] - previous[1]) / (now[0] - previous[0])
    return (total - now[1]) / rate


def test_the_eta_is_smoothed_over_the_last_minute_of_steps():
    eta = SmoothedEta()
    total = 20_000
    points = [(t * 0.1, t * 2) for t in range(1, 1200)]  # 20 steps a second for 2 minutes
    for elapsed, step in points:
        eta.add(elapsed, step)
    steady = eta.seconds_left(total)
    assert abs(steady - (total - points[-1][1]) / 20) < 1.0
    # One report after a 3 s hiccup (an evaluation, a checkpoint): 2 steps in 3 seconds.
    hiccup = (points[-1][0] + 3.0, points[-1][1] + 2)
    eta.add(*hiccup)
    swung = instant_eta(points[-1], hiccup, total)
    assert swung > 10 * steady  # what the last report alone says: hours instead of minutes
    assert abs(eta.seconds_left(total) - steady) < 0.1 * steady  # the minute's pace holds
    # Only the last minute counts: a run that has slowed down for good shows it within one.
    elapsed, step = hiccup
    for _ in range(700):
        elapsed, step = elapsed + 0.1, step + 1  # now 10 steps a second
        eta.add(elapsed, step)
    assert abs(eta.seconds_left(total) - (total - step) / 10) < 1.0
    assert eta.points[-1][0] - eta.points[0][0] <= 60.2


def test_the_eta_starts_over_when_time_goes_back_and_waits_for_two_points():
    eta = SmoothedEta()
    assert eta.seconds_left(100) is None
    eta.add(10.0, 50)
    assert eta.seconds_left(100) is None
    eta.add(11.0, 60)
    assert eta.seconds_left(100) == 4.0
    eta.add(1.0, 5)  # a new session of another run: its figures do not mix with the last
    assert eta.seconds_left(100) is None


def fake_run(root: Path, name: str, kind: str, dataset: str, device: str, seconds: float,
             epochs: int = 10, steps_per_epoch: int = 70) -> Path:  # fmt: skip
    path = root / name
    path.mkdir(parents=True)
    config = {"kind": kind, "dataset": {"name": dataset}, "device": device,
              "training": {"epochs": epochs}}  # fmt: skip
    status = {"state": "completed", "step": epochs * steps_per_epoch,
              "total_steps": epochs * steps_per_epoch, "elapsed": seconds}  # fmt: skip
    (path / "config.json").write_text(json.dumps(config))
    (path / "status.json").write_text(json.dumps(status))
    return path


def test_the_pace_of_earlier_runs_picks_the_same_kind_dataset_and_device(tmp_path):
    fake_run(tmp_path, "20260101-000000-dcgan-mnist-5k", "dcgan", "mnist-5k", "cpu", 240.0)
    fake_run(tmp_path, "20260102-000000-dcgan-fashion", "dcgan", "fashion", "cpu", 500.0)
    fake_run(tmp_path, "20260103-000000-cnn-mnist-5k", "cnn", "mnist-5k", "cpu", 20.0)
    (tmp_path / "not-a-run").mkdir()
    speeds = past_speeds(tmp_path)
    assert [s.run_name for s in speeds] == [
        "20260103-000000-cnn-mnist-5k",
        "20260102-000000-dcgan-fashion",
        "20260101-000000-dcgan-mnist-5k",
    ]  # newest first
    chosen = pick_speed(speeds, "dcgan", "mnist-5k", "auto")
    assert chosen.run_name == "20260101-000000-dcgan-mnist-5k"
    assert chosen.seconds_per_epoch == 24.0
    # No run on that dataset: the newest of the kind still says something.
    assert pick_speed(speeds, "dcgan", "folder:/x", "auto").dataset == "fashion"
    assert pick_speed(speeds, "vae", "mnist-5k", "auto") is None  # another kind says nothing
    assert past_speeds(tmp_path / "missing") == []
