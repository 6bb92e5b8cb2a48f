"""What a running Trainer tells its caller. Plain data and CPU numpy only, so a report can
cross a thread boundary as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Started:
    run_dir: str
    config: dict[str, Any]
    device: str
    total_steps: int
    steps_per_epoch: int
    start_step: int


@dataclass(frozen=True)
class Loading:
    """Progress of data loading (a big folder or a download) before training begins."""

    what: str
    done: int
    total: int


@dataclass(frozen=True)
class Losses:
    """Every step logged since the last report (reports are batched in time, not per step)."""

    steps: list[int]
    values: dict[str, list[float]]
    epoch: int
    step: int
    total_steps: int
    elapsed: float
    images_per_second: float
    eta_seconds: float | None


@dataclass(frozen=True)
class Samples:
    step: int
    grid: np.ndarray  # uint8 (H, W, C)
    path: str
    reconstructions: np.ndarray | None = None


@dataclass(frozen=True)
class Evaluation:
    step: int
    epoch: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class Quality:
    """How good the generated images are at a step, measured in the features of the dataset's
    reference classifier (models/analysis/quality/). `figures` holds the names of
    models.analysis.quality.figures.FIGURES (fid, kid, kid_std, precision, recall, class_min,
    class_max, class_entropy, spread), which also says which way each is better: FID is
    lower-better."""

    step: int
    epoch: int
    elapsed: float  # training time of the run when measured, in seconds
    figures: dict[str, float]
    class_names: tuple[str, ...]
    class_shares: tuple[float, ...]  # share of the samples the reference puts in each class
    samples: int
    seconds: float  # what this measurement cost (a first one's preparation not included)
    warnings: tuple[str, ...] = ()  # collapse warnings, also sent as Notices


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: str


@dataclass(frozen=True)
class Notice:
    level: str  # "info" | "warning" | "error"
    message: str


@dataclass(frozen=True)
class DeviceChanged:
    """The run's device now reads differently, e.g. its share of the CPU threads changed."""

    device: str


@dataclass(frozen=True)
class StateChanged:
    state: str  # "running" | "paused" | "stopped" | "completed" | "failed"
    message: str = ""
    step: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


Report = (
    Started
    | Loading
    | Losses
    | Samples
    | Evaluation
    | Quality
    | Checkpoint
    | Notice
    | DeviceChanged
    | StateChanged
)
