"""Batch augmentations built from indexing and masking, so gradients flow through them: the
classifier shifts its inputs, and a GAN's discriminator sees real and generated images
shifted and cut alike (DiffAugment, Zhao et al. 2020), which keeps it from memorising a few
thousand training images."""

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


def random_cutout(images: Tensor, size: int, fill: float = 0.0) -> Tensor:
    """Paint one `size` x `size` square at a random place of each image with `fill`."""
    n, _, h, w = images.shape
    cy = torch.randint(0, h, (n, 1, 1), device=images.device)
    cx = torch.randint(0, w, (n, 1, 1), device=images.device)
    ys = torch.arange(h, device=images.device)[None, :, None]
    xs = torch.arange(w, device=images.device)[None, None, :]
    inside = ((ys - cy).abs() <= size // 2) & ((xs - cx).abs() <= size // 2)  # (n, h, w)
    return torch.where(inside[:, None], torch.full_like(images, fill), images)
