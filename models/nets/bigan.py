"""The GAN with an encoder's own networks: the encoder (image -> latent) and the joint
discriminator on (image, latent) pairs, both reading images with the DCGAN's convolutions."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from models.nets.dcgan import image_features


class Encoder(nn.Module):
    """Image -> the latent's noise part, and (conditional) the logits of its class."""

    def __init__(self, noise_dim: int, width: int, image_shape: tuple[int, int, int],
                 classes: int):  # fmt: skip
        super().__init__()
        self.body, features = image_features(width, image_shape)
        self.to_noise = nn.Linear(features, noise_dim)
        self.to_class = nn.Linear(features, classes) if classes else None

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        features = self.body(x)
        logits = self.to_class(features) if self.to_class is not None else None
        return self.to_noise(features), logits


class JointDiscriminator(nn.Module):
    """Scores an (image, noise) pair, and with a class a triple (projection on the joint
    features): the DCGAN discriminator's convolutions read the image."""

    def __init__(self, noise_dim: int, width: int, image_shape: tuple[int, int, int],
                 classes: int):  # fmt: skip
        super().__init__()
        hidden = 16 * width
        self.image, features = image_features(width, image_shape)
        self.latent = nn.Sequential(nn.Linear(noise_dim, hidden), nn.LeakyReLU(0.2, True))
        self.joint = nn.Sequential(nn.Linear(features + hidden, hidden), nn.LeakyReLU(0.2, True))
        self.score = nn.Linear(hidden, 1)
        self.class_embedding = nn.Embedding(classes, hidden) if classes else None

    def forward(self, x: Tensor, noise: Tensor, labels: Tensor | None = None) -> Tensor:
        joint = self.joint(torch.cat([self.image(x), self.latent(noise)], dim=1))
        score = self.score(joint).squeeze(1)
        if self.class_embedding is not None and labels is not None:
            score = score + (self.class_embedding(labels) * joint).sum(1)
        return score
