"""A feature network that needs no download: random, fixed convolutions at several scales.

Style transfer only needs features whose Gram matrices describe a texture. Ustyuzhaninov et
al. (2017, "What does it take to generate natural textures?") showed that a single layer of
random filters of several sizes already synthesises natural textures, and He, Wang and
Hopcroft (2016, "A powerful generative model using random weights for the deep
representation of images") that a deep network with random weights stylises an image. This
network combines both: at every scale (full, 1/2, 1/4, 1/8) random filters of two sizes
look at the image, so Gram matrices see structure from a few pixels to a quarter of the
image; the content is held by the features at 1/4 scale, which keep the outlines but not
the brush strokes.

The weights come from a fixed seed, so a result is the same on every machine.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

SEED = 2017
# (channels of 3x3 filters, channels of wider filters, width of those) at each scale.
STAGES = ((24, 24, 7), (48, 32, 5), (64, 32, 5), (96, 0, 0))
CONTENT_LAYER = "scale3"
STYLE_LAYERS = ("scale1", "scale2", "scale3", "scale4")


def _random_conv(inputs: int, outputs: int, width: int, generator: torch.Generator) -> nn.Conv2d:
    conv = nn.Conv2d(inputs, outputs, width, padding=width // 2, padding_mode="reflect")
    # He initialisation keeps the features' scale the same from layer to layer; zero-mean
    # filters would only see edges, so each filter also gets a random offset from zero.
    fan_in = inputs * width * width
    with torch.no_grad():
        weight = torch.randn(conv.weight.shape, generator=generator) * (2.0 / fan_in) ** 0.5
        conv.weight.copy_(weight)
        conv.bias.copy_(torch.randn(outputs, generator=generator) * 0.1)
    return conv


class _Stage(nn.Module):
    def __init__(self, inputs: int, narrow: int, wide: int, width: int, generator):
        super().__init__()
        self.narrow = _random_conv(inputs, narrow, 3, generator)
        self.wide = _random_conv(inputs, wide, width, generator) if wide else None
        self.channels = narrow + wide

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = [self.narrow(x)]
        if self.wide is not None:
            parts.append(self.wide(x))
        return F.relu(torch.cat(parts, 1))


class RandomMultiScaleFeatures(nn.Module):
    """Features of an RGB batch in [0, 1]: a dict of (N, C, H, W) tensors, one per scale."""

    content_layer = CONTENT_LAYER
    style_layers = STYLE_LAYERS

    def __init__(self, seed: int = SEED):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        stages = []
        inputs = 3
        for narrow, wide, width in STAGES:
            stage = _Stage(inputs, narrow, wide, width, generator)
            stages.append(stage)
            inputs = stage.channels
        self.stages = nn.ModuleList(stages)
        self.requires_grad_(False)
        self.eval()

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        x = (images - 0.5) * 4.0  # centred, about unit spread, as the initialisation expects
        out = {}
        for index, stage in enumerate(self.stages):
            if index:
                x = F.avg_pool2d(x, 2)
            x = stage(x)
            out[f"scale{index + 1}"] = x
        return out
