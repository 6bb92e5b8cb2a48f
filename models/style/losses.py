"""The two losses of Gatys et al.: a style loss on Gram matrices and a content loss on one layer.

Both are measured relative to their targets (the style's Gram matrices, the content's
features), so each layer counts alike whatever its size and scale, and the numbers read the
same for every feature network: a style loss of 1.0 is an error as large as the style itself.
"""

from __future__ import annotations

import torch


def gram(features: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, C): which channels fire together, wherever in the image."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


class StyleTargets:
    """What the result is pulled towards: the style's Gram matrices and the content's layer."""

    def __init__(self, network, content: torch.Tensor, style: torch.Tensor):
        self.network = network
        with torch.no_grad():
            style_features = network(style)
            content_features = network(content)
        self.grams = {name: gram(style_features[name]) for name in network.style_layers}
        self.gram_scales = {name: g.pow(2).mean() + 1e-12 for name, g in self.grams.items()}
        self.content = content_features[network.content_layer]
        self.content_scale = self.content.pow(2).mean() + 1e-12

    def losses(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(content loss, style loss) of `image`, differentiable."""
        features = self.network(image)
        content = (features[self.network.content_layer] - self.content).pow(2).mean()
        content = content / self.content_scale
        style = image.new_zeros(())
        for name in self.network.style_layers:
            difference = gram(features[name]) - self.grams[name]
            style = style + difference.pow(2).mean() / self.gram_scales[name]
        return content, style / len(self.network.style_layers)
