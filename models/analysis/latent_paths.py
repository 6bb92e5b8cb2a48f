"""Paths and planes through a latent space: lerp, slerp, four-corner grids, PCA planes."""

from __future__ import annotations

import torch
from torch import Tensor


def lerp(a: Tensor, b: Tensor, steps: int) -> Tensor:
    """`steps` points on the straight line from a to b, both ends included: (steps, D)."""
    t = torch.linspace(0, 1, steps, dtype=a.dtype, device=a.device)[:, None]
    return (1 - t) * a[None] + t * b[None]


def slerp(a: Tensor, b: Tensor, steps: int) -> Tensor:
    """Spherical interpolation: follows the great circle and the interpolated norms, so the
    points stay where a Gaussian prior puts its mass (a straight line cuts through the
    low-probability middle of the ball)."""
    t = torch.linspace(0, 1, steps, dtype=a.dtype, device=a.device)[:, None]
    norm_a, norm_b = a.norm(), b.norm()
    if norm_a < 1e-8 or norm_b < 1e-8:
        return lerp(a, b, steps)
    unit_a, unit_b = a / norm_a, b / norm_b
    omega = torch.arccos((unit_a * unit_b).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    if omega.abs() < 1e-4:
        return lerp(a, b, steps)
    sin = torch.sin(omega)
    direction = (torch.sin((1 - t) * omega) * unit_a + torch.sin(t * omega) * unit_b) / sin
    return direction * ((1 - t) * norm_a + t * norm_b)


def path(a: Tensor, b: Tensor, steps: int, kind: str = "slerp") -> Tensor:
    if kind == "lerp":
        return lerp(a, b, steps)
    if kind == "slerp":
        return slerp(a, b, steps)
    raise ValueError(f"unknown path {kind!r}; choose lerp or slerp")


def corner_grid(
    top_left: Tensor, top_right: Tensor, bottom_left: Tensor, bottom_right: Tensor, size: int
) -> Tensor:
    """A size x size bilinear blend of four corner latents, row-major: (size * size, D)."""
    t = torch.linspace(0, 1, size, dtype=top_left.dtype, device=top_left.device)
    v, u = torch.meshgrid(t, t, indexing="ij")
    u, v = u.reshape(-1, 1), v.reshape(-1, 1)
    return (
        (1 - u) * (1 - v) * top_left
        + u * (1 - v) * top_right
        + (1 - u) * v * bottom_left
        + u * v * bottom_right
    )


def pca_plane(latents: Tensor) -> tuple[Tensor, Tensor]:
    """The mean and the two principal directions (orthonormal rows, (2, D)) of a point cloud."""
    mean = latents.mean(0)
    centred = latents - mean
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    return mean, vh[:2]


def project(latents: Tensor, mean: Tensor, axes: Tensor) -> Tensor:
    return (latents - mean) @ axes.T


def unproject(points: Tensor, mean: Tensor, axes: Tensor) -> Tensor:
    return mean + points @ axes
