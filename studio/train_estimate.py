"""The Train panel's "how long" line: said before Train is pressed, from the measured pace of
earlier runs of the same kind in the runs folder (models/eta.py reads them, off the GUI
thread), so 200 epochs of a GAN on a CPU do not come as a surprise."""

from __future__ import annotations

from models.eta import PastSpeed, pick_speed


def rough_duration(seconds: float) -> str:
    """Rounded as an estimate deserves: "1 h 20 min", "40 s"."""
    seconds = max(round(seconds), 1)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
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
            f"How long: no earlier {kind.title} run in the runs folder to measure; the status "
            "bar gives the time left once training has run for a minute."
        )
    total = speed.seconds_per_epoch * epochs
    where = speed.device.upper() if speed.device else "this machine"
    caveat = "" if speed.dataset == dataset else f" on {speed.dataset}"
    return (
        f"Takes about {rough_duration(total)} for {epochs} epochs: "
        f"{rough_duration(speed.seconds_per_epoch)} an epoch on {where}{caveat}, as measured by "
        f"run {speed.run_name}."
    )
