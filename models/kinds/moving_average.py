"""A slowly moving average of a network's weights, which draws steadier samples than the
network being trained (the GANs' and the diffusion model's EMA copies)."""

from __future__ import annotations

import torch
from torch import nn


def update_ema(averaged: nn.Module, live: nn.Module, decay: float) -> None:
    """Move a moving-average copy towards the live network; buffers (BatchNorm's running
    statistics) are copied as they are."""
    with torch.no_grad():
        for mean, value in zip(averaged.parameters(), live.parameters(), strict=True):
            mean.lerp_(value, 1.0 - decay)
        for mean, value in zip(averaged.buffers(), live.buffers(), strict=True):
            mean.copy_(value)
