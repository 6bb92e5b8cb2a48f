"""DCGAN (Radford et al. 2015) sized for 28x28 and 32x32 images, grayscale or colour.

On labelled data it is class-conditional by default: the generator's latent ends in a one-hot
class code, and the discriminator scores an image together with its class through a
projection term (Miyato & Koyama 2018). A latent then fully describes its image, so the
latent tools work unchanged, and a person can ask for a chosen class.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

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
from models.kinds.moving_average import update_ema
from models.nets.dcgan import Discriminator, Generator, init_dcgan


@dataclass
class DCGANConfig:
    latent_dim: int = hyperparameter(64, "Size of the generator's noise vector", low=2, high=512)
    learning_rate: float = hyperparameter(
        5e-4, "Adam learning rate of both networks", low=1e-5, high=1e-2, log_scale=True
    )
    batch_size: int = hyperparameter(64, "Images per training step", low=2, high=1024)
    label_smoothing: float = hyperparameter(
        0.1, "How far the discriminator's 'real' target is lowered from 1", low=0.0, high=0.5
    )
    width: int = hyperparameter(
        16, "Channels of the networks' widest layer / 4", low=8, high=256, advanced=True
    )
    ema_decay: float = hyperparameter(
        0.995, "Samples come from a moving average of the generator's weights with this decay "
        "(0 uses the live generator); averaging removes most of the step-to-step jitter",
        low=0.0, high=0.9999, advanced=True,
    )  # fmt: skip
    beta1: float = hyperparameter(
        0.5, "Adam β1; 0.5 keeps the adversarial game stable", low=0.0, high=0.99, advanced=True
    )
    # Unconditional, three minutes on mnist-5k gave digits a judge classifier found only
    # 0.66 x as clear as real ones; told the class, 0.92 x with as much variety within a
    # class as the data (benchmarks/gan_quality.py).
    conditional: bool = hyperparameter(
        True, "Tell both networks each image's class, so samples can be asked for by class "
        "(ignored for unlabelled data)",
    )  # fmt: skip


class ClassCodedLatent:
    """The latent of a GAN on labelled data: noise, then a one-hot code of the class asked for.

    Shared by the GANs: they set `self.classes` (0 when unconditional), have a config whose
    `latent_dim` is the size of the noise part, and draw images with `self.generator_ema`.
    """

    classes: int
    config: Any
    device: torch.device
    generator_ema: nn.Module

    @property
    def latent_dim(self) -> int:
        """Noise, then (when conditional) the one-hot class code."""
        return self.config.latent_dim + self.classes

    @property
    def conditional(self) -> bool:
        return self.classes > 0

    def with_class(self, noise: Tensor, labels: Tensor) -> Tensor:
        """Latents from noise and class indices."""
        code = F.one_hot(labels.long(), self.classes).to(noise.dtype)
        return torch.cat([noise, code.to(noise.device)], dim=1)

    def relabel(self, latents: Tensor, labels: Tensor) -> Tensor:
        if not self.classes:
            return super().relabel(latents, labels)  # type: ignore[misc]
        return self.with_class(latents[:, : self.config.latent_dim], labels.to(latents.device))

    def latent_classes(self, latents: Tensor) -> Tensor | None:
        if not self.classes:
            return None
        return latents[:, self.config.latent_dim :].argmax(1)  # a blended code's strongest

    def make_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        noise = torch.randn(n, self.config.latent_dim, generator=generator)
        if not self.classes:
            return noise
        # The classes in turn from a random start: any batch covers them evenly, and a
        # single latent still gets a random class.
        start = int(torch.randint(self.classes, (1,), generator=generator))
        return self.with_class(noise, (start + torch.arange(n)) % self.classes)

    def _fake_batch(self, n: int) -> tuple[Tensor, Tensor | None]:
        noise = torch.randn(n, self.config.latent_dim, device=self.device)
        if not self.classes:
            return noise, None
        labels = torch.randint(self.classes, (n,), device=self.device)
        return self.with_class(noise, labels), labels

    def _real_labels(self, batch: Batch) -> Tensor | None:
        if not self.classes or batch.labels is None:
            return None
        return batch.labels.to(self.device).long()

    @torch.inference_mode()
    def decode(self, latent: Tensor, labels: Tensor | None = None) -> Tensor:
        """Images from latents; `labels` (conditional runs) replaces the latents' class codes."""
        latent = latent.to(self.device)
        if labels is not None and self.classes:
            latent = self.relabel(latent, labels)
        return (self.generator_ema(latent) + 1) / 2


class DCGAN(ClassCodedLatent, ImageModel):
    kind = "dcgan"
    title = "DCGAN"
    summary = "Generative adversarial network: a generator learns to fool a discriminator."
    capabilities = Capability.GENERATE
    config_class = DCGANConfig
    default_epochs = 200  # long: a GAN is usually watched and stopped by hand
    primary_metric = Metric("test_d_accuracy", higher_is_better=False)
    # Runs from before classes existed were unconditional.
    settings_before_fields: ClassVar[dict[str, Any]] = {"conditional": False}

    def __init__(self, config: DCGANConfig, data: DataInfo, device):
        super().__init__(config, data, device)
        _, height, width = data.image_shape
        if height != width or height % 4:
            raise ValueError(
                f"DCGAN needs square images with a side divisible by 4, not {height}x{width}"
            )
        self.classes = len(data.class_names) if config.conditional else 0
        self.generator = Generator(self.latent_dim, config.width, data.image_shape).to(self.device)
        self.discriminator = Discriminator(config.width, data.image_shape, self.classes).to(
            self.device
        )
        self.generator.apply(init_dcgan)
        self.discriminator.apply(init_dcgan)
        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)
        betas = (config.beta1, 0.999)
        fused = fused_optimizer(self.device)
        self.opt_g = torch.optim.Adam(
            self.generator.parameters(), config.learning_rate, betas=betas, **fused
        )
        self.opt_d = torch.optim.Adam(
            self.discriminator.parameters(), config.learning_rate, betas=betas, **fused
        )

    def load_weights(self, flat: dict[str, Tensor]) -> None:
        # Earlier versions kept the discriminator's score layer as the last of its `body`.
        old = "discriminator.body.6."
        super().load_weights(
            {k.replace(old, "discriminator.score.", 1) if k.startswith(old) else k: v
             for k, v in flat.items()}
        )  # fmt: skip

    def networks(self) -> dict[str, nn.Module]:
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "generator_ema": self.generator_ema,
        }

    def train_mode(self, training: bool) -> None:
        self.generator.train(training)
        self.discriminator.train(training)
        self.generator_ema.train(False)  # only ever sampled from

    def optimizers(self) -> dict:
        return {"generator_adam": self.opt_g, "discriminator_adam": self.opt_d}

    def train_step(self, batch: Batch) -> dict[str, float]:
        real = batch.images * 2 - 1
        n = real.shape[0]
        latent, fake_labels = self._fake_batch(n)
        fake = self.generator(latent)
        real_labels = self._real_labels(batch)

        real_target = torch.full((n,), 1.0 - self.config.label_smoothing, device=self.device)
        zeros = torch.zeros(n, device=self.device)
        real_logits = self.discriminator(real, real_labels)
        fake_logits = self.discriminator(fake.detach(), fake_labels)
        loss_d = F.binary_cross_entropy_with_logits(
            real_logits, real_target
        ) + F.binary_cross_entropy_with_logits(fake_logits, zeros)
        d_ok = finite_step(self.opt_d, loss_d)

        # The generator's loss goes through the discriminator just updated (as in DCGAN).
        loss_g = F.binary_cross_entropy_with_logits(
            self.discriminator(fake, fake_labels), torch.ones_like(zeros)
        )
        if d_ok and finite_step(self.opt_g, loss_g, inputs=list(self.generator.parameters())):
            update_ema(self.generator_ema, self.generator, self.config.ema_decay)
        else:
            self.opt_g.zero_grad(set_to_none=True)
        return {
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(),
        }

    @torch.inference_mode()
    def evaluate(self, batches: Iterable[Batch]) -> dict[str, float]:
        """How well the discriminator tells test images from fresh samples (0.5 = fooled)."""
        correct = count = 0
        for batch in batches:
            n = batch.images.shape[0]
            real = self.discriminator(batch.images * 2 - 1, self._real_labels(batch)) > 0
            latent, fake_labels = self._fake_batch(n)
            fake = self.discriminator(self.generator(latent), fake_labels) <= 0
            correct += int(real.sum()) + int(fake.sum())
            count += 2 * n
        return {"test_d_accuracy": correct / max(count, 1)}
