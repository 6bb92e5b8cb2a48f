"""A Vision Transformer for small images: patch tokens (4 x 4 pixels by default), learned
position embeddings, pre-norm blocks (LayerNorm before attention and before the MLP, each
added back to the stream), a final LayerNorm, and the tokens averaged for the output layer.

Small data sets need help seeing locally: the `stem` can be plain patches, a convolutional
stem (two stride-2 3x3 convolutions, after Xiao et al. 2021, "Early convolutions help
transformers see better") or shifted-patch tokens (each patch also sees its image shifted half
a patch diagonally four ways, after Lee et al. 2021, "Vision Transformer for small-size
datasets")."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

STEMS = ("conv", "shifted", "patch")


class PatchStem(nn.Module):
    def __init__(self, channels: int, dim: int, patch: int):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, patch, patch)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)


class ShiftedPatchStem(nn.Module):
    """The image and four copies shifted by half a patch (up-left, up-right, down-left,
    down-right) stacked as channels, normalised per token, then cut into patches."""

    def __init__(self, channels: int, dim: int, patch: int):
        super().__init__()
        self.shift = max(patch // 2, 1)
        self.proj = nn.Conv2d(5 * channels, dim, patch, patch)
        self.norm = nn.GroupNorm(1, dim)

    def forward(self, x: Tensor) -> Tensor:
        s = self.shift
        padded = F.pad(x, (s, s, s, s))
        h, w = x.shape[-2:]
        copies = [x] + [
            padded[..., dy : dy + h, dx : dx + w] for dy in (0, 2 * s) for dx in (0, 2 * s)
        ]
        return self.norm(self.proj(torch.cat(copies, 1)))


class ConvStem(nn.Module):
    """A 3x3 convolution at full resolution, then 3x3 stride-2 convolutions until the patch
    size is reached, then a 1x1 projection to the token width."""

    def __init__(self, channels: int, dim: int, patch: int):
        super().__init__()
        first = max(dim // 4, 8)
        layers: list[nn.Module] = [
            nn.Conv2d(channels, first, 3, 1, 1, bias=False),
            nn.BatchNorm2d(first),
            nn.ReLU(inplace=True),
        ]
        stride, width = 1, max(dim // 2, 8)
        channels_in = first
        while stride < patch:
            layers += [
                nn.Conv2d(channels_in, width, 3, 2, 1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
            ]
            channels_in, stride, width = width, stride * 2, dim
        layers.append(nn.Conv2d(channels_in, dim, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


STEM_CLASSES = {"conv": ConvStem, "shifted": ShiftedPatchStem, "patch": PatchStem}


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"the token width ({dim}) must be a multiple of the heads ({heads})")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        # Set by explanations: the next forward pass keeps its attention weights (N, heads,
        # T, T) here. Off in training, where the fused kernel never forms them.
        self.keep_weights = False
        self.weights: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        n, t, d = x.shape
        q, k, v = self.qkv(x).view(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if self.keep_weights:
            weights = torch.softmax(q @ k.transpose(-2, -1) * (d // self.heads) ** -0.5, -1)
            self.weights = weights.detach()
            out = weights @ v
        else:
            out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(n, t, d))


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.dropout(self.attention(self.norm1(x)))
        return x + self.dropout(self.mlp(self.norm2(x)))


class VisionTransformer(nn.Module):
    def __init__(
        self,
        image_shape: tuple[int, int, int],
        classes: int,
        *,
        patch: int = 4,
        dim: int = 128,
        depth: int = 6,
        heads: int = 4,
        mlp_ratio: float = 2.0,
        dropout: float = 0.0,
        stem: str = "conv",
    ):
        super().__init__()
        channels, height, width = image_shape
        self.stem = STEM_CLASSES[stem](channels, dim, patch)
        # The token grid, from a trial pass in eval mode (batch norm must not learn from it).
        self.stem.eval()
        with torch.no_grad():
            self.grid = tuple(self.stem(torch.zeros(1, channels, height, width)).shape[-2:])
        self.stem.train()
        self.position = nn.Parameter(torch.randn(1, self.grid[0] * self.grid[1], dim) * 0.02)
        self.blocks = nn.Sequential(*(Block(dim, heads, mlp_ratio, dropout) for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        self.num_features = dim
        self.apply(_init)

    def forward_features(self, x: Tensor) -> Tensor:
        """The tokens after the last block, (N, T, dim), T = patches row-major."""
        tokens = self.stem(x).flatten(2).transpose(1, 2) + self.position
        return self.norm(self.blocks(tokens))

    def forward_head(self, features: Tensor, pre_logits: bool = False) -> Tensor:
        pooled = features.mean(1)
        return pooled if pre_logits else self.head(pooled)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))

    def attention_layers(self) -> list[Attention]:
        return [block.attention for block in self.blocks]


def _init(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
