"""A small U-Net for denoising 28x28 and 32x32 images: residual blocks told the timestep (and
the class) through a sinusoidal embedding, group norm, self-attention at the lowest resolution
and a skip connection from each level of the way down to the same level on the way up.

The network first folds each 2x2 block of pixels into channels (as a vision transformer cuts
patches) and unfolds them at the end: convolutions at full size cost four times as much as at
half size and, on a CPU, took most of a step's time for detail a 2x2 fold keeps anyway. Two
levels follow (half and quarter size, `width` and 2 x `width` channels).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LEVEL_WIDTHS = (1, 2)  # channels of each level, in units of `width`
PATCH = 2  # pixels folded into channels along each side before the first convolution


def groups_for(channels: int) -> int:
    """Group norm's group count: 8 where the channels allow, fewer for very thin layers."""
    for groups in (8, 4, 2):
        if channels % groups == 0:
            return groups
    return 1


def timestep_embedding(timesteps: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    """Sines and cosines of the timestep at geometrically spaced frequencies: (N, dim)."""
    half = dim // 2
    frequencies = torch.exp(
        -math.log(max_period)
        * torch.arange(half, dtype=torch.float32, device=timesteps.device)
        / half
    )
    angles = timesteps.float()[:, None] * frequencies[None]
    embedding = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    return F.pad(embedding, (0, dim % 2))


class ResidualBlock(nn.Module):
    def __init__(self, cin: int, cout: int, embedding_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.embedding = nn.Linear(embedding_dim, cout)
        self.norm2 = nn.GroupNorm(groups_for(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        # Each block starts as the identity, so a deep stack trains from the first step.
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: Tensor, embedding: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.embedding(embedding)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Every position attends to every other: at 7x7 that is 49 tokens, cheap, and it lets a
    stroke at one side of a digit agree with the other side."""

    def __init__(self, channels: int, heads: int = 4):
        super().__init__()
        self.heads = heads if channels % heads == 0 else 1
        self.norm = nn.GroupNorm(groups_for(channels), channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(n, 3, self.heads, c // self.heads, h * w).unbind(1)
        attended = F.scaled_dot_product_attention(
            q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2)
        )
        return x + self.out(attended.transpose(-1, -2).reshape(n, c, h, w))


class UNet(nn.Module):
    """Predicts the noise (or v) in a noisy image, given its timestep and, optionally, a class.

    `classes` > 0 adds a class embedding with one extra entry, the last, meaning "no class":
    the network trained on both is what classifier-free guidance needs. Labels may also be
    class weights (N, classes), which blend the class embeddings (a path from one class to
    another), with an optional last column for "no class".
    """

    def __init__(self, image_channels: int, width: int, classes: int = 0):
        super().__init__()
        self.classes = classes
        self.time_dim = width
        embedding_dim = 4 * width
        self.time_mlp = nn.Sequential(
            nn.Linear(width, embedding_dim), nn.SiLU(), nn.Linear(embedding_dim, embedding_dim)
        )
        self.class_embedding = nn.Embedding(classes + 1, embedding_dim) if classes else None
        channels = [m * width for m in LEVEL_WIDTHS]
        self.conv_in = nn.Conv2d(image_channels * PATCH**2, channels[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        previous = channels[0]
        for level, ch in enumerate(channels):
            self.down.append(ResidualBlock(previous, ch, embedding_dim))
            previous = ch
            if level < len(channels) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.down_attention = SelfAttention(channels[-1])
        self.middle1 = ResidualBlock(channels[-1], channels[-1], embedding_dim)
        self.middle_attention = SelfAttention(channels[-1])
        self.middle2 = ResidualBlock(channels[-1], channels[-1], embedding_dim)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for level in reversed(range(len(channels))):
            self.up.append(ResidualBlock(previous + channels[level], channels[level],
                                         embedding_dim))  # fmt: skip
            previous = channels[level]
            if level > 0:
                # Upsampling also narrows to the next level's width, so the full-size level
                # never convolves the wide features.
                self.upsample.append(nn.Conv2d(channels[level], channels[level - 1], 3, padding=1))
                previous = channels[level - 1]
        self.up_attention = SelfAttention(channels[-1])
        self.norm_out = nn.GroupNorm(groups_for(channels[0]), channels[0])
        self.conv_out = nn.Conv2d(channels[0], image_channels * PATCH**2, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def embed(self, timesteps: Tensor, labels: Tensor | None) -> Tensor:
        embedding = self.time_mlp(timestep_embedding(timesteps, self.time_dim))
        if self.class_embedding is None:
            return embedding
        if labels is None:  # unconditional: the "no class" entry
            labels = torch.full_like(timesteps, self.classes, dtype=torch.long)
        if labels.dim() == 2:  # weights over the classes (and "no class"): a blend
            weights = self.class_embedding.weight[: labels.shape[1]]
            return embedding + labels.to(weights.dtype) @ weights
        return embedding + self.class_embedding(labels.long())

    def forward(self, x: Tensor, timesteps: Tensor, labels: Tensor | None = None) -> Tensor:
        embedding = self.embed(timesteps, labels)
        h = self.conv_in(F.pixel_unshuffle(x, PATCH))
        skips = []
        for level, block in enumerate(self.down):
            h = block(h, embedding)
            if level == len(self.down) - 1:
                h = self.down_attention(h)
            skips.append(h)
            if level < len(self.downsample):
                h = self.downsample[level](h)
        h = self.middle2(self.middle_attention(self.middle1(h, embedding)), embedding)
        for index, block in enumerate(self.up):
            h = block(torch.cat([h, skips.pop()], dim=1), embedding)
            if index == 0:
                h = self.up_attention(h)
            if index < len(self.upsample):
                h = self.upsample[index](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return F.pixel_shuffle(self.conv_out(F.silu(self.norm_out(h))), PATCH)
