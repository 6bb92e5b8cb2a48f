"""Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union
of balls around its points reaching their k-th nearest neighbour (k = 3). Precision is the
share of generated points inside the real manifold (fidelity), recall the share of real
points inside the generated one (coverage), so a generator that makes one perfect digit has
high precision and low recall."""

from __future__ import annotations

import torch
from torch import Tensor

K = 3
ROWS = 1024  # distance rows computed at once: bounds the memory of a large set


def _float(features: Tensor) -> Tensor:
    return features.detach().to("cpu", torch.float32)


def knn_radii(features: Tensor, k: int = K) -> Tensor:
    """Distance from each row to its k-th nearest other row."""
    x = _float(features)
    if x.shape[0] <= k:
        raise ValueError(f"a manifold with k = {k} needs more than {k} rows")
    radii = []
    for begin in range(0, x.shape[0], ROWS):
        distances = torch.cdist(x[begin : begin + ROWS], x)
        # The k + 1 smallest include the row's zero distance to itself.
        radii.append(distances.topk(k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(radii)


def inside_share(points: Tensor, centres: Tensor, radii: Tensor) -> float:
    """Share of `points` within radius of at least one centre."""
    p, c = _float(points), _float(centres)
    inside = 0
    for begin in range(0, p.shape[0], ROWS):
        distances = torch.cdist(p[begin : begin + ROWS], c)
        inside += int((distances <= radii[None, :]).any(dim=1).sum())
    return inside / max(p.shape[0], 1)


def precision_recall(real: Tensor, fake: Tensor, k: int = K) -> tuple[float, float]:
    precision = inside_share(fake, real, knn_radii(real, k))
    recall = inside_share(real, fake, knn_radii(fake, k))
    return precision, recall
