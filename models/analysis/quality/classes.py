"""What the reference classifier says about a set of samples: how the classes are shared (a
generator collapsing onto a few modes favours few classes) and how varied each class is (a
generator that makes copies of one image has a spread near zero)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

SPREAD_ROWS = 500  # images per class compared pairwise; more costs time and changes little


@dataclass(frozen=True)
class ClassShares:
    shares: tuple[float, ...]  # per class, summing to 1
    smallest: float
    largest: float
    entropy: float  # over its largest possible value, log(classes): 1 = even, 0 = one class


def class_shares(predicted: Tensor, classes: int) -> ClassShares:
    """The histogram of predicted class indices (N,) over `classes` classes."""
    if classes < 1 or predicted.numel() == 0:
        raise ValueError("a class histogram needs classes and at least one sample")
    counts = torch.bincount(predicted.detach().cpu().long(), minlength=classes)[:classes]
    shares = counts.double() / counts.sum()
    present = shares[shares > 0]
    entropy = max(float(-(present * present.log()).sum()), 0.0)  # never "-0.0"
    top = math.log(classes) if classes > 1 else 1.0
    return ClassShares(
        tuple(float(s) for s in shares), float(shares.min()), float(shares.max()),
        entropy / top if classes > 1 else 1.0,
    )  # fmt: skip


def mean_pairwise_distance(features: Tensor) -> float:
    """Mean Euclidean distance between two different rows."""
    n = features.shape[0]
    x = features.detach().to("cpu", torch.float32)
    return float(torch.cdist(x, x).sum() / (n * (n - 1)))


def within_class_spread(real: Tensor, real_classes: Tensor, fake: Tensor, fake_classes: Tensor,
                        generator: torch.Generator | None = None) -> float:  # fmt: skip
    """Per predicted class, the samples' mean pairwise feature distance over the real images';
    averaged over the classes weighted by how many samples each has. NaN when no class has
    two samples and two real images."""
    generator = generator or torch.Generator().manual_seed(0)
    real_classes, fake_classes = real_classes.cpu(), fake_classes.cpu()
    total = weight = 0.0
    for c in torch.unique(fake_classes).tolist():
        ours, theirs = fake[fake_classes == c], real[real_classes == c]
        if ours.shape[0] < 2 or theirs.shape[0] < 2:
            continue
        ours, theirs = _some(ours, generator), _some(theirs, generator)
        reference = mean_pairwise_distance(theirs)
        if reference <= 0:
            continue
        count = int((fake_classes == c).sum())
        total += count * mean_pairwise_distance(ours) / reference
        weight += count
    return total / weight if weight else math.nan


def _some(rows: Tensor, generator: torch.Generator) -> Tensor:
    if rows.shape[0] <= SPREAD_ROWS:
        return rows
    return rows[torch.randperm(rows.shape[0], generator=generator)[:SPREAD_ROWS]]
