"""Convolutional variational auto-encoder (β-VAE) for 28x28 or 32x32 images."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.kinds.base import (
    Batch,
    Capability,
    DataInfo,
    ImageModel,
    Metric,
    finite_step,
    fused_optimizer,
)
from models.kinds.hyperparameters import hyperparameter
from models.nets.vae import VAENetwork


@dataclass
class VAEConfig:
    latent_dim: int = hyperparameter(16, "Size of the latent code", low=2, high=256)
    beta: float = hyperparameter(
        1.0, "Weight of the KL term (β-VAE); above 1 favours disentangled codes", low=0.0, high=20.0
    )
    learning_rate: float = hyperparameter(
        4e-3, "Adam learning rate", low=1e-5, high=1e-1, log_scale=True
    )
    batch_size: int = hyperparameter(32, "Images per training step", low=2, high=1024)
    width: int = hyperparameter(
        8, "Channels of the first convolution (doubled in the second)", low=4, high=128,
        advanced=True,
    )  # fmt: skip
    hidden: int = hyperparameter(
        128, "Units of the fully connected layer around the code", low=16, high=2048,
        advanced=True,
    )  # fmt: skip


def vae_terms(net: VAENetwork, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-batch sums of reconstruction BCE and KL, plus the latent means."""
    mu, logvar = net.encode(images)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
    logits = net.decode_logits(z)
    recon = F.binary_cross_entropy_with_logits(logits, images, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return recon, kl, mu


class VAE(ImageModel):
    kind = "vae"
    title = "VAE"
    summary = "Variational auto-encoder: learns a smooth latent space you can walk through."
    capabilities = Capability.GENERATE | Capability.ENCODE
    config_class = VAEConfig
    default_epochs = 10
    primary_metric = Metric("test_loss", higher_is_better=False)

    def __init__(self, config: VAEConfig, data: DataInfo, device):
        super().__init__(config, data, device)
        self.net = VAENetwork(
            config.latent_dim, config.width, config.hidden, data.image_shape, data.pixel_mean
        ).to(self.device)
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), lr=config.learning_rate, **fused_optimizer(self.device)
        )

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def networks(self) -> dict[str, nn.Module]:
        return {"vae": self.net}

    def optimizers(self) -> dict:
        return {"adam": self.optimizer}

    def train_step(self, batch: Batch) -> dict[str, float]:
        n = batch.images.shape[0]
        recon, kl, _ = vae_terms(self.net, batch.images)
        loss = (recon + self.config.beta * kl) / n
        finite_step(self.optimizer, loss)
        return {"loss": loss.item(), "reconstruction": recon.item() / n, "kl": kl.item() / n}

    @torch.inference_mode()
    def evaluate(self, batches: Iterable[Batch]) -> dict[str, float]:
        """Test loss in the units of pytorch/examples' vae/main.py: BCE summed over pixels
        plus KL, per image (β = 1 here, so runs with other β stay comparable)."""
        total_recon = total_kl = 0.0
        count = 0
        for batch in batches:
            recon, kl, _ = vae_terms(self.net, batch.images)
            total_recon += recon.item()
            total_kl += kl.item()
            count += batch.images.shape[0]
        count = max(count, 1)
        return {
            "test_loss": (total_recon + total_kl) / count,
            "test_reconstruction": total_recon / count,
            "test_kl": total_kl / count,
        }

    @torch.inference_mode()
    def encode(self, images: Tensor) -> Tensor:
        mu, _ = self.net.encode(images.to(self.device))
        return mu

    @torch.inference_mode()
    def encode_distribution(self, images: Tensor) -> tuple[Tensor, Tensor]:
        return self.net.encode(images.to(self.device))

    @torch.inference_mode()
    def decode(self, latent: Tensor, labels: Tensor | None = None) -> Tensor:
        return torch.sigmoid(self.net.decode_logits(latent.to(self.device)))
