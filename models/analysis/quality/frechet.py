"""Fréchet distance between two sets of features, each taken as a Gaussian ("FID" when the
features come from a network; here they come from the dataset's reference classifier)."""

from __future__ import annotations

import torch
from torch import Tensor


def feature_statistics(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and (unbiased) covariance of (N, D) features, in float64."""
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError("the Fréchet distance needs at least two feature rows")
    x = features.detach().to("cpu", torch.float64)
    mean = x.mean(0)
    centred = x - mean
    return mean, centred.T @ centred / (x.shape[0] - 1)


def _psd_sqrt(matrix: Tensor) -> Tensor:
    """Square root of a symmetric positive semi-definite matrix (rounding may leave tiny
    negative eigenvalues, which are taken as zero)."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def frechet_from_statistics(mean_a: Tensor, cov_a: Tensor, mean_b: Tensor, cov_b: Tensor) -> float:
    """||m_a - m_b||^2 + tr(C_a) + tr(C_b) - 2 tr((C_a^1/2 C_b C_a^1/2)^1/2).

    The symmetric form has the same trace as the usual sqrt(C_a C_b) and needs only symmetric
    eigendecompositions, which torch has (no scipy)."""
    mean_a, cov_a, mean_b, cov_b = (
        t.to("cpu", torch.float64) for t in (mean_a, cov_a, mean_b, cov_b)
    )
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    values = torch.linalg.eigvalsh((middle + middle.T) / 2).clamp_min(0)
    distance = (mean_a - mean_b).square().sum() + cov_a.trace() + cov_b.trace()
    distance = distance - 2 * values.sqrt().sum()
    return max(float(distance), 0.0)


def frechet_distance(features_a: Tensor, features_b: Tensor) -> float:
    return frechet_from_statistics(*feature_statistics(features_a), *feature_statistics(features_b))
