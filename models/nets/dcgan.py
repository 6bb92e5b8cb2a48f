"""The DCGAN's networks (Radford et al. 2015) for 28x28 and 32x32 images: a generator from a
latent vector, and the convolutions that read an image, shared by the discriminator and by the
GAN with an encoder's encoder and joint discriminator."""

from __future__ import annotations

from torch import Tensor, nn


class Generator(nn.Module):
    def __init__(self, latent_dim: int, width: int, image_shape: tuple[int, int, int]):
        super().__init__()
        channels, height, _ = image_shape
        self.base = height // 4
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 4 * width * self.base * self.base, bias=False),
            nn.BatchNorm1d(4 * width * self.base * self.base),
            nn.ReLU(True),
        )
        self.width = width
        self.body = nn.Sequential(
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(True),
            nn.ConvTranspose2d(2 * width, channels, 4, 2, 1),
            nn.Tanh(),
        )  # fmt: skip

    def forward(self, z: Tensor) -> Tensor:
        return self.body(self.project(z).view(-1, 4 * self.width, self.base, self.base))


def image_features(width: int, image_shape: tuple[int, int, int]) -> tuple[nn.Sequential, int]:
    """The discriminator's convolutions, image -> flat features, and the number of features.
    A GAN with an encoder reads images with the same layers (its encoder and its joint
    discriminator)."""
    channels, height, w = image_shape
    body = nn.Sequential(
        nn.Conv2d(channels, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(2 * width, 4 * width, 4, 2, 1, bias=False),
        nn.BatchNorm2d(4 * width), nn.LeakyReLU(0.2, True),
        nn.Flatten(),
    )  # fmt: skip
    return body, 4 * width * (height // 4) * (w // 4)


class Discriminator(nn.Module):
    def __init__(self, width: int, image_shape: tuple[int, int, int], classes: int = 0):
        super().__init__()
        self.body, features = image_features(width, image_shape)
        self.score = nn.Linear(features, 1)
        # Projection: "is this a real image of class y" adds <embedding(y), features>.
        self.class_embedding = nn.Embedding(classes, features) if classes else None

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        features = self.body(x)
        score = self.score(features).squeeze(1)
        if self.class_embedding is not None and labels is not None:
            score = score + (self.class_embedding(labels) * features).sum(1)
        return score


def init_dcgan(module: nn.Module) -> None:
    """The paper's initialisation: N(0, 0.02) weights, BatchNorm scales around 1."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
