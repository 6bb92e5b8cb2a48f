"""Run folders with only what the pace of a run is read from (config.json and status.json)."""

from __future__ import annotations

import json
from pathlib import Path


def fake_run(root: Path, name: str, kind: str, dataset: str, device: str, seconds: float,
             epochs: int = 10, steps_per_epoch: int = 70) -> Path:  # fmt: skip
    """A finished run of `epochs` epochs that took `seconds` of training time."""
    path = Path(root) / name
    path.mkdir(parents=True)
    config = {"kind": kind, "dataset": {"name": dataset}, "device": device,
              "training": {"epochs": epochs}}  # fmt: skip
    status = {"state": "completed", "step": epochs * steps_per_epoch,
              "total_steps": epochs * steps_per_epoch, "elapsed": seconds}  # fmt: skip
    (path / "config.json").write_text(json.dumps(config))
    (path / "status.json").write_text(json.dumps(status))
    return path
