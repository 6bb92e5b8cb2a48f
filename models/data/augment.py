"""Batch augmentations built from indexing or one resampling pass, so they run on any device
over the whole batch at once and gradients flow through them."""

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


def random_affine(images: Tensor, rotation: float, scale: float, shear: float) -> Tensor:
    """Slant each image by a horizontal shear of up to ±`shear`, rotate it by up to `rotation`
    degrees and zoom it by up to ±`scale`, about its centre, in one resampling pass. The
    uncovered edge is zero: the background of the digits it is meant for, black corners on
    photos (square images only: the grid's coordinates are normalised per axis)."""
    n = images.shape[0]
    device = images.device

    def spread(limit: float) -> Tensor:
        return (torch.rand(n, device=device) * 2 - 1) * limit

    theta = affine_theta(spread(rotation * torch.pi / 180), 1 + spread(scale), spread(shear))
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")


def affine_theta(angle: Tensor, size: Tensor, slant: Tensor) -> Tensor:
    """affine_grid's matrices (n x 2 x 3) for rotations by `angle` (radians), zooms by `size`
    and horizontal shears by `slant`. affine_grid maps each output pixel to where it samples
    the input, so each matrix is the inverse warp: (rotation / size) @ shear."""
    cos, sin = torch.cos(angle) / size, torch.sin(angle) / size
    zero = torch.zeros_like(cos)
    rows = (
        torch.stack([cos, cos * slant - sin, zero], 1),
        torch.stack([sin, sin * slant + cos, zero], 1),
    )
    return torch.stack(rows, 1)


def cutout(images: Tensor, size: int, fill: float = 0.0) -> Tensor:
    """Blank a `size` x `size` square (clipped at the edges) at a random place in each image
    (DeVries & Taylor 2017), so a classifier cannot lean on any one part of a picture."""
    n, _, h, w = images.shape
    device = images.device
    centre_y = torch.randint(0, h, (n, 1, 1), device=device)
    centre_x = torch.randint(0, w, (n, 1, 1), device=device)
    rows = torch.arange(h, device=device)[None, :, None]
    cols = torch.arange(w, device=device)[None, None, :]
    low, high = size // 2, size - size // 2
    inside = (
        (rows >= centre_y - low) & (rows < centre_y + high)
        & (cols >= centre_x - low) & (cols < centre_x + high)
    )  # fmt: skip
    return torch.where(inside[:, None], torch.full_like(images, fill), images)
