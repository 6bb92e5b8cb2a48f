"""What the latent explorer computes from a model: end points, how much each dimension is used,
class mean vectors, traversal matrices and a decoded grid over a plane."""

from __future__ import annotations

import torch
from torch import Tensor

from models.kinds.base import CapabilityError

# Average KL (nats per image) below which a VAE dimension carries almost no information: the
# encoder maps every image to the prior there, so moving along it changes nothing.
UNUSED_KL = 0.02
TRAVERSAL_VALUES = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)


def seed_latent(model, seed: int) -> Tensor:
    """The latent a seed stands for in `model` (a conditional model's also picks a class): the
    same seed gives the same point on every machine, in the window and on the command line."""
    return model.make_noise(1, torch.Generator().manual_seed(int(seed)))[0]


def dimension_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """Average KL divergence from the prior per latent dimension over a batch: (D,)."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(0)


def encode_with_kl(model, images: Tensor) -> tuple[Tensor, Tensor | None]:
    """Latents of images (CPU float) and, when the model's encoder gives a distribution, the
    average KL of each dimension; an encoder that gives a point has none to order by."""
    try:
        mu, logvar = model.encode_distribution(images)
    except CapabilityError:
        return model.encode(images).float().cpu(), None
    mu, logvar = mu.float().cpu(), logvar.float().cpu()
    return mu, dimension_kl(mu, logvar)


def order_by_kl(kl: Tensor, threshold: float = UNUSED_KL) -> tuple[list[int], list[bool]]:
    """Dimensions from most to least informative, and which of them are (nearly) unused."""
    order = torch.argsort(kl, descending=True, stable=True).tolist()
    unused = [bool(kl[d] < threshold) for d in order]
    return order, unused


def class_means(latents: Tensor, labels: Tensor, num_classes: int) -> tuple[Tensor, Tensor]:
    """Mean latent of each class, (K, D), and how many images each mean is made of, (K,).
    A class without images gets a zero vector and a count of 0."""
    counts = torch.bincount(labels, minlength=num_classes)[:num_classes]
    sums = torch.zeros(num_classes, latents.shape[1], dtype=latents.dtype)
    sums.index_add_(0, labels, latents)
    return sums / counts.clamp(min=1)[:, None].to(latents.dtype), counts


def add_difference(point: Tensor, means: Tensor, plus: int, minus: int, scale: float) -> Tensor:
    """`point + scale * (mean[plus] - mean[minus])`: "this, but more a 3 than a 7"."""
    return point + scale * (means[plus] - means[minus])


def traversal(base: Tensor, dims: list[int], values: tuple[float, ...] = TRAVERSAL_VALUES):
    """One row per dimension, one column per value: `base` with that dimension set to the
    value. Row-major, (len(dims) * len(values), D)."""
    grid = base.repeat(len(dims) * len(values), 1)
    for row, dim in enumerate(dims):
        for col, value in enumerate(values):
            grid[row * len(values) + col, dim] = value
    return grid


def plane_grid(
    mean: Tensor, axes: Tensor, extent: tuple[float, float, float, float], size: int
) -> Tensor:
    """Latents of a size x size grid over a plane (x0, y0, x1, y1 in plane coordinates),
    row-major with the first row at the top (largest y), as an image is drawn."""
    x0, y0, x1, y1 = extent
    xs = torch.linspace(x0, x1, size, dtype=mean.dtype)
    ys = torch.linspace(y1, y0, size, dtype=mean.dtype)
    y, x = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)
    return mean + points @ axes


def explained_variance(latents: Tensor, axes: Tensor) -> list[float]:
    """Fraction of the cloud's variance along each axis, for labelling a plot's axes."""
    centred = latents - latents.mean(0)
    total = centred.pow(2).sum().clamp(min=1e-12)
    return [float((centred @ axis).pow(2).sum() / total) for axis in axes]
