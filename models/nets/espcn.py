"""Upscaling networks that work at the low resolution and rearrange channels into pixels at the
end (sub-pixel convolution, Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution
Using an Efficient Sub-Pixel Convolutional Neural Network").

Both variants predict what bicubic upscaling misses and add it to the bicubic upsample: a
small network then only learns the detail, which it does much faster than the whole image.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

FACTORS = (2, 3, 4)
NETWORKS = ("espcn", "residual")


def bicubic_upscale(images: Tensor, factor: int) -> Tensor:
    """Plain bicubic enlargement, the baseline every upscaler is measured against."""
    return F.interpolate(images, scale_factor=factor, mode="bicubic", align_corners=False)


def bicubic_downscale(images: Tensor, factor: int) -> Tensor:
    """The low-resolution input of the literature: bicubic with antialiasing (as Pillow and
    MATLAB's imresize shrink), so high frequencies are filtered, not aliased."""
    height, width = images.shape[-2] // factor, images.shape[-1] // factor
    return F.interpolate(images, size=(height, width), mode="bicubic", antialias=True,
                         align_corners=False).clamp_(0, 1)  # fmt: skip


class ResidualBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SubPixelUpscaler(nn.Module):
    """`espcn`: the paper's 5x5 / 3x3 / 3x3 convolutions with tanh. `residual`: a 3x3 head,
    `blocks` residual blocks (as in EDSR, without batch norm, which harms super-resolution)
    and a 3x3 tail. Both end in a convolution to channels x factor² and a pixel shuffle."""

    def __init__(self, channels: int, factor: int, network: str = "espcn", width: int = 64,
                 blocks: int = 4):  # fmt: skip
        super().__init__()
        if factor not in FACTORS:
            raise ValueError(f"factor must be one of {', '.join(map(str, FACTORS))}")
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {', '.join(NETWORKS)}")
        self.factor = factor
        if network == "espcn":
            self.features = nn.Sequential(
                nn.Conv2d(channels, width, 5, padding=2), nn.Tanh(),
                nn.Conv2d(width, width // 2, 3, padding=1), nn.Tanh(),
            )  # fmt: skip
            out_width = width // 2
            self.radius = 2 + 1  # low-res pixels of context the features take, each side
        else:
            self.features = nn.Sequential(
                nn.Conv2d(channels, width, 3, padding=1),
                *(ResidualBlock(width) for _ in range(blocks)),
            )
            out_width = width
            self.radius = 1 + 2 * blocks
        self.to_pixels = nn.Conv2d(out_width, channels * factor * factor, 3, padding=1)
        self.shuffle = nn.PixelShuffle(factor)
        # Start as plain bicubic: the detail branch begins silent and learns only what helps.
        nn.init.zeros_(self.to_pixels.weight)
        nn.init.zeros_(self.to_pixels.bias)

    def forward(self, images: Tensor) -> Tensor:
        """Low-resolution images in [0, 1] -> `factor` times larger (not clamped, so training
        sees the true error; callers clamp for display)."""
        detail = self.shuffle(self.to_pixels(self.features(images)))
        return bicubic_upscale(images, self.factor) + detail

    @property
    def context(self) -> int:
        """Low-res pixels of context an output pixel needs on each side (bicubic takes 2), so
        tiles overlapping by this much join without seams."""
        return self.radius + 1 + 2
