"""Kernel Inception Distance (Bińkowski et al. 2018) over any features: the unbiased squared
MMD with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over random subsets.
Unlike the Fréchet distance it has no bias from the sample count, so a few hundred samples
give a fair figure; its spread over the subsets says how far to trust it."""

from __future__ import annotations

import torch
from torch import Tensor


def polynomial_kernel(x: Tensor, y: Tensor) -> Tensor:
    # The products in float32 (a third of the time in float64), the cube and the sums in
    # float64, where the unbiased estimate's differences of large sums need the digits.
    return (x @ y.T / x.shape[1] + 1).double() ** 3


def unbiased_mmd2(x: Tensor, y: Tensor) -> float:
    """Unbiased squared MMD of two samples (the diagonals k(x_i, x_i) are left out)."""
    m, n = x.shape[0], y.shape[0]
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    xx = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    yy = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return float(xx + yy - 2 * k_xy.mean())


def kernel_distance(real: Tensor, fake: Tensor, subsets: int = 10, subset_size: int = 500,
                    generator: torch.Generator | None = None) -> tuple[float, float]:  # fmt: skip
    """KID's mean and standard deviation over `subsets` draws of `subset_size` rows from each
    set (fewer rows when a set is smaller)."""
    size = min(subset_size, real.shape[0], fake.shape[0])
    if size < 2:
        raise ValueError("the kernel distance needs at least two rows in each set")
    real = real.detach().to("cpu", torch.float32)
    fake = fake.detach().to("cpu", torch.float32)
    generator = generator or torch.Generator().manual_seed(0)
    values = []
    for _ in range(max(subsets, 1)):
        pick_real = torch.randperm(real.shape[0], generator=generator)[:size]
        pick_fake = torch.randperm(fake.shape[0], generator=generator)[:size]
        values.append(unbiased_mmd2(real[pick_real], fake[pick_fake]))
    spread = torch.tensor(values, dtype=torch.float64)
    std = float(spread.std()) if len(values) > 1 else 0.0
    return float(spread.mean()), std
