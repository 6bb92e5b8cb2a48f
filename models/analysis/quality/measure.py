"""Every quality figure of a set of generated images against a dataset's real images, in the
feature space of the dataset's reference classifier."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from models.analysis.quality.classes import class_shares, within_class_spread
from models.analysis.quality.features import Described, ShouldStop, describe_images
from models.analysis.quality.frechet import feature_statistics, frechet_from_statistics
from models.analysis.quality.kernel_distance import kernel_distance
from models.analysis.quality.manifold import precision_recall
from models.kinds.base import ImageModel

REAL_LIMIT = 10_000  # real images whose features stand for the data (all of mnist-5k's 4,500)
KID_SUBSETS = 10
KID_SUBSET_SIZE = 500
MIN_SAMPLES = 10  # fewer samples give no meaningful manifold or statistics


@dataclass(frozen=True)
class RealSet:
    """The real images as the reference sees them, computed once per measured dataset."""

    described: Described
    mean: Tensor
    covariance: Tensor
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class QualityResult:
    figures: dict[str, float]  # the names of models.analysis.quality.figures
    class_shares: tuple[float, ...]
    samples: int


def describe_real(reference: ImageModel, images: Tensor, should_stop: ShouldStop = lambda: False,
                  seed: int = 0) -> RealSet:  # fmt: skip
    """`images`: the dataset's training images, uint8 (N, C, H, W)."""
    if images.shape[0] > REAL_LIMIT:
        generator = torch.Generator().manual_seed(seed)
        pick = torch.randperm(images.shape[0], generator=generator)[:REAL_LIMIT]
        images = images[pick.to(images.device)]
    described = describe_images(reference, images, should_stop)
    mean, covariance = feature_statistics(described.features)
    return RealSet(described, mean, covariance, tuple(reference.class_names))


def measure(real: RealSet, fake: Described, seed: int = 0) -> QualityResult:
    """The figures of generated images described by the same reference."""
    n = fake.features.shape[0]
    if n < MIN_SAMPLES:
        raise ValueError(f"measuring quality needs at least {MIN_SAMPLES} images, not {n}")
    if not bool(torch.isfinite(fake.features).all()):
        raise ValueError("the samples' features are not all finite numbers")
    generator = torch.Generator().manual_seed(seed)
    fid = frechet_from_statistics(real.mean, real.covariance, *feature_statistics(fake.features))
    kid, kid_std = kernel_distance(real.described.features, fake.features, KID_SUBSETS,
                                   KID_SUBSET_SIZE, generator)  # fmt: skip
    # Kynkäänniemi et al. compare sets of one size: the k-th neighbour radius shrinks as a set
    # grows, so a larger real set would make precision look worse than it is.
    real_features = real.described.features
    if real_features.shape[0] > n:
        real_features = real_features[torch.randperm(real_features.shape[0],
                                                     generator=generator)[:n]]  # fmt: skip
    precision, recall = precision_recall(real_features, fake.features)
    shares = class_shares(fake.predicted, len(real.class_names))
    spread = within_class_spread(real.described.features, real.described.predicted,
                                 fake.features, fake.predicted, generator)  # fmt: skip
    figures = {
        "fid": fid, "kid": kid, "kid_std": kid_std, "precision": precision, "recall": recall,
        "class_min": shares.smallest, "class_max": shares.largest,
        "class_entropy": shares.entropy, "spread": spread,
    }  # fmt: skip
    return QualityResult(figures, shares.shares, n)


def format_figures(figures: dict[str, float]) -> str:
    """The one line of name=value pairs the command line and the benchmark end with."""
    return " ".join(f"{name}={_number(value)}" for name, value in figures.items())


def _number(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.6g}"
