"""ResNet-18 for small images, the CIFAR variant: a 3x3 stem without max-pool, then four stages
of two basic blocks at widths w, 2w, 4w, 8w (w = 64 in the original; smaller for small
machines), global average pooling and one linear output layer."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, added to the input (projected when it changes)."""

    def __init__(self, channels_in: int, channels_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or channels_in != channels_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride, bias=False),
                nn.BatchNorm2d(channels_out),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x), inplace=True)


class ResNet18(nn.Module):
    BLOCKS_PER_STAGE = (2, 2, 2, 2)

    def __init__(self, channels: int, classes: int, width: int = 64, dropout: float = 0.0):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)
        )
        stages, channels_in = [], width
        for index, blocks in enumerate(self.BLOCKS_PER_STAGE):
            channels_out = width * 2**index
            for block in range(blocks):
                stride = 2 if index > 0 and block == 0 else 1
                stages.append(BasicBlock(channels_in, channels_out, stride))
                channels_in = channels_out
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels_in, classes)
        self.num_features = channels_in

    def forward_features(self, x: Tensor) -> Tensor:
        """The last feature maps, (N, 8w, H/8, W/8)."""
        return self.stages(self.stem(x))

    def forward_head(self, features: Tensor, pre_logits: bool = False) -> Tensor:
        pooled = F.adaptive_avg_pool2d(features, 1).flatten(1)
        return pooled if pre_logits else self.head(self.dropout(pooled))

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))


class ResNetSmall(nn.Module):
    """The CNN kind's network: a 3x3 stem and three stages of one basic block each at widths w,
    2w, 4w, pooled over a grid of cells (1 x 1 is global pooling) before the output layer, so
    the head knows where in the image a stroke is."""

    def __init__(self, channels: int, classes: int, width: int, grid: int = 1, dropout: float = 0):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)
        )
        self.stages = nn.Sequential(
            BasicBlock(width, width, 1),
            BasicBlock(width, 2 * width, 2),
            BasicBlock(2 * width, 4 * width, 2),
        )
        self.grid = grid
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(4 * width * grid * grid, classes)

    def forward_features(self, x: Tensor) -> Tensor:
        """The last feature maps, (N, 4w, H/4, W/4)."""
        return self.stages(self.stem(x))

    def forward_head(self, features: Tensor, pre_logits: bool = False) -> Tensor:
        pooled = F.adaptive_avg_pool2d(features, self.grid).flatten(1)
        return pooled if pre_logits else self.head(self.dropout(pooled))

    def features(self, x: Tensor) -> Tensor:
        """Pooled last feature maps, one row per image (channel by channel, cells row-major)."""
        return self.forward_head(self.forward_features(x), pre_logits=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))
