"""The variational auto-encoder's network: a convolutional encoder to a Gaussian over the
latent (mean and log-variance), and a decoder back to pixel logits."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _act() -> nn.Module:
    return nn.LeakyReLU(0.1)


class VAENetwork(nn.Module):
    def __init__(self, latent_dim: int, width: int, hidden: int,
                 image_shape: tuple[int, int, int], pixel_mean: float):  # fmt: skip
        super().__init__()
        channels, height, image_width = image_shape
        w, h = width, hidden
        self.feature_shape = (2 * w, height // 4, image_width // 4)
        flat = 2 * w * (height // 4) * (image_width // 4)
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), nn.BatchNorm2d(w), _act(),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), _act(),
            nn.Flatten(), nn.Linear(flat, h), _act(),
        )  # fmt: skip
        self.to_mu = nn.Linear(h, latent_dim)
        self.to_logvar = nn.Linear(h, latent_dim)
        self.from_latent = nn.Sequential(
            nn.Linear(latent_dim, h), _act(), nn.Linear(h, flat), _act()
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), _act(),
            nn.ConvTranspose2d(w, channels, 4, 2, 1),
        )  # fmt: skip
        # Starting the output at the data's mean pixel skips the slow "learn the average
        # image" phase: the first epoch already lands well below the examples' test loss.
        mean = min(max(pixel_mean, 1e-3), 1 - 1e-3)
        nn.init.constant_(self.decoder[-1].bias, float(torch.logit(torch.tensor(mean))))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        hidden = self.encoder(x)
        return self.to_mu(hidden), self.to_logvar(hidden).clamp(-12.0, 12.0)

    def decode_logits(self, z: Tensor) -> Tensor:
        return self.decoder(self.from_latent(z).view(-1, *self.feature_shape))
