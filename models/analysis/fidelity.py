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


def _gaussian_window(size: int, sigma: float, channels: int, device) -> Tensor:
    coords = torch.arange(size, dtype=torch.float64, device=device) - (size - 1) / 2
    line = torch.exp(-(coords**2) / (2 * sigma**2))
    line = line / line.sum()
    window = line[:, None] * line[None, :]
    return window.expand(channels, 1, size, size).contiguous()


def ssim(images: Tensor, references: Tensor, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Structural similarity (Wang et al. 2004) of each image against its reference: an
    11-pixel Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03, averaged over the positions
    where the window fits and over the channels. Images smaller than the window use a window
    as large as they are (and sigma shrunk in proportion)."""
    # Double precision: the variances are differences of nearly equal means of squares.
    x, y = images.double(), references.double()
    size = min(window, x.shape[-2], x.shape[-1])
    size -= 1 - size % 2  # an odd window has a centre
    sigma = sigma * size / window
    channels = x.shape[1]
    kernel = _gaussian_window(size, sigma, channels, x.device)

    def blur(t: Tensor) -> Tensor:
        return F.conv2d(t, kernel, groups=channels)

    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    score = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return score.flatten(1).mean(1).float()


def psnr_of_mse(mse: float) -> float:
    """PSNR in dB of a mean squared error on a [0, 1] scale."""
    return PSNR_CAP if mse <= 10 ** (-PSNR_CAP / 10) else 10 * math.log10(1.0 / mse)
