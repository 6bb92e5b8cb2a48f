"""How close an image is to the one it should be: PSNR and SSIM, the two figures every
super-resolution paper reports. Images are float in [0, 1], (N, C, H, W); one value per image."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

PSNR_CAP = 100.0  # dB for an exact copy, where the formula gives infinity


def psnr(images: Tensor, references: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB of each image against its reference (peak 1.0)."""
    mse = (images.float() - references.float()).pow(2).flatten(1).mean(1)
    return (10 * torch.log10(1.0 / mse.clamp_min(10 ** (-PSNR_CAP / 10)))).clamp_max(PSNR_CAP)


def _gaussian_line(size: int, sigma: float) -> Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    line = torch.exp(-(coords**2) / (2 * sigma**2))
    return line / line.sum()


def ssim(images: Tensor, references: Tensor, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Structural similarity (Wang et al. 2004) of each image against its reference: an
    11-pixel Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03, averaged over the positions
    where the window fits and over the channels. Images smaller than the window use a window
    as large as they are (and sigma shrunk in proportion)."""
    # Centred on mid-grey: the variances are differences of means of squares, which in single
    # precision lose their digits when the squares are large; shifting changes no variance.
    x, y = images.float() - 0.5, references.float() - 0.5
    size = min(window, x.shape[-2], x.shape[-1])
    size -= 1 - size % 2  # an odd window has a centre
    line = _gaussian_line(size, sigma * size / window).to(x.device, torch.float32)
    # The five local means in one pass of a separable blur (two 1-D passes, not one 2-D).
    stacked = torch.cat([x, y, x * x, y * y, x * y], 1)
    groups = stacked.shape[1]
    rows = line.view(1, 1, size, 1).expand(groups, 1, size, 1)
    columns = line.view(1, 1, 1, size).expand(groups, 1, 1, size)
    blurred = F.conv2d(F.conv2d(stacked, rows, groups=groups), columns, groups=groups)
    mu_x, mu_y, xx, yy, xy = blurred.chunk(5, 1)
    var_x, var_y, cov = xx - mu_x**2, yy - mu_y**2, xy - mu_x * mu_y
    mu_x, mu_y = mu_x + 0.5, mu_y + 0.5
    c1, c2 = 0.01**2, 0.03**2
    score = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return score.flatten(1).mean(1)


def psnr_of_mse(mse: float) -> float:
    """PSNR in dB of a mean squared error on a [0, 1] scale."""
    return PSNR_CAP if mse <= 10 ** (-PSNR_CAP / 10) else 10 * math.log10(1.0 / mse)
