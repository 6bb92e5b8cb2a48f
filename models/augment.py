"""Batch augmentations built from indexing, so they run on any device in one pass and
gradients flow through them."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def random_shift(images: Tensor, max_shift: int, flip: bool = False, fill: float = 0.0) -> Tensor:
    """Shift each image by up to `max_shift` pixels (the uncovered edge is `fill`), optionally
    mirror it."""
    n, _, h, w = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=fill)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), device=images.device)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), device=images.device)
    rows = dy[:, None] + torch.arange(h, device=images.device)[None, :]  # (n, h)
    cols = dx[:, None] + torch.arange(w, device=images.device)[None, :]  # (n, w)
    index = torch.arange(n, device=images.device)[:, None, None]
    shifted = padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]]
    shifted = shifted.permute(0, 3, 1, 2)
    if flip:
        mirror = torch.rand(n, device=images.device) < 0.5
        shifted = torch.where(mirror[:, None, None, None], shifted.flip(3), shifted)
    return shifted.contiguous()
