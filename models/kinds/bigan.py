"""A GAN with an encoder (the "reverse generator"): BiGAN / ALI (Donahue et al. 2016, Dumoulin
et al. 2016) with a reconstruction term, over the DCGAN's networks.

Three networks learn together. The generator G draws an image from a latent, the encoder E
maps an image back to a latent, and the discriminator D judges (image, latent) pairs: a real
image with its encoding against a generated image with the noise it came from. Fooling D makes
the two directions inverses of each other; the reconstruction term (its weight a setting)
asks for it outright: G(E(x)) should be x. Without it the inversion is loose (the BiGAN paper
reconstructs MNIST test digits with 0.62 x the error of a random pairing); with it this kind
lands far lower (benchmarks/bigan_quality.py).

On labelled data it is class-conditional as the DCGAN is: the latent ends in a one-hot class
code, D scores a pair together with its class (projection), and the encoder has a head that
reads the class, so an image without a label still encodes to a full latent.
"""

from __future__ import annotations

import copy
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
from models.kinds.gan import ClassCodedLatent
from models.kinds.hyperparameters import hyperparameter
from models.kinds.moving_average import update_ema
from models.nets.bigan import Encoder, JointDiscriminator
from models.nets.dcgan import Generator, init_dcgan


@dataclass
class BiGANConfig:
    latent_dim: int = hyperparameter(64, "Size of the latent's noise part", low=2, high=512)
    reconstruction_weight: float = hyperparameter(
        2.0, "Weight of the reconstruction error G(E(x)) - x beside fooling the discriminator "
        "(0 is a plain BiGAN)", low=0.0, high=100.0,
    )  # fmt: skip
    learning_rate: float = hyperparameter(
        5e-4, "Adam learning rate of all three networks", low=1e-5, high=1e-2, log_scale=True
    )
    batch_size: int = hyperparameter(64, "Images per training step", low=2, high=1024)
    label_smoothing: float = hyperparameter(
        0.1, "How far the discriminator's 'real' target is lowered from 1", low=0.0, high=0.5
    )
    width: int = hyperparameter(
        16, "Channels of the networks' widest layer / 4", low=8, high=256, advanced=True
    )
    ema_decay: float = hyperparameter(
        0.995, "Images come from a moving average of the generator's weights with this decay "
        "(0 uses the live generator)", low=0.0, high=0.9999, advanced=True,
    )  # fmt: skip
    beta1: float = hyperparameter(
        0.5, "Adam β1; 0.5 keeps the adversarial game stable", low=0.0, high=0.99, advanced=True
    )
    conditional: bool = hyperparameter(
        True, "Tell the networks each image's class, so samples can be asked for by class and "
        "the encoder learns to read it (ignored for unlabelled data)",
    )  # fmt: skip


class BiGAN(ClassCodedLatent, ImageModel):
    kind = "bigan"
    title = "GAN with encoder"
    summary = (
        "A generator, a discriminator and an encoder that maps images back to the generator's "
        "latent (BiGAN): generates, reconstructs and places real images in its latent space."
    )
    capabilities = Capability.GENERATE | Capability.ENCODE
    config_class = BiGANConfig
    default_epochs = 200  # long, as for the DCGAN: watched and stopped by hand
    primary_metric = Metric("test_reconstruction_ratio", higher_is_better=False)

    def __init__(self, config: BiGANConfig, data: DataInfo, device):
        super().__init__(config, data, device)
        _, height, width = data.image_shape
        if height != width or height % 4:
            raise ValueError(
                f"a {self.title} needs square images with a side divisible by 4, "
                f"not {height}x{width}"
            )
        self.classes = len(data.class_names) if config.conditional else 0
        noise, shape = config.latent_dim, data.image_shape
        self.generator = Generator(self.latent_dim, config.width, shape).to(self.device)
        self.encoder = Encoder(noise, config.width, shape, self.classes).to(self.device)
        self.discriminator = JointDiscriminator(noise, config.width, shape, self.classes).to(
            self.device
        )
        for net in (self.generator, self.encoder, self.discriminator):
            net.apply(init_dcgan)
        # The generator is averaged, the encoder is not: an average of encoders drifting
        # apart shrinks their codes off the prior (half its spread after 700 steps on
        # mnist-5k), and the judge classifier then read 35 % of the reconstructions as their
        # digit instead of 89 % with the live encoder.
        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)
        betas = (config.beta1, 0.999)
        fused = fused_optimizer(self.device)
        # Generator and encoder play on the same side of the game: one optimiser.
        self.generator_encoder = [*self.generator.parameters(), *self.encoder.parameters()]
        self.opt_ge = torch.optim.Adam(
            self.generator_encoder, config.learning_rate, betas=betas, **fused
        )
        self.opt_d = torch.optim.Adam(
            self.discriminator.parameters(), config.learning_rate, betas=betas, **fused
        )

    def networks(self) -> dict[str, nn.Module]:
        return {
            "generator": self.generator,
            "encoder": self.encoder,
            "discriminator": self.discriminator,
            "generator_ema": self.generator_ema,
        }

    def optimizers(self) -> dict:
        return {"generator_encoder_adam": self.opt_ge, "discriminator_adam": self.opt_d}

    def train_mode(self, training: bool) -> None:
        for net in (self.generator, self.encoder, self.discriminator):
            net.train(training)
        self.generator_ema.train(False)  # only ever sampled from

    def train_step(self, batch: Batch) -> dict[str, float]:
        real = batch.images * 2 - 1
        n = real.shape[0]
        noise_dim = self.config.latent_dim
        latent, fake_labels = self._fake_batch(n)
        encoded, logits = self.encoder(real)
        labels = self._real_labels(batch)
        if self.classes and labels is None:  # unlabelled images: the class the encoder reads
            labels = logits.detach().argmax(1)
        code = self.with_class(encoded, labels) if self.classes else encoded
        # One generator pass draws the samples and the reconstructions.
        drawn = self.generator(torch.cat([latent, code]))
        fake, copies = drawn[:n], drawn[n:]

        real_target = torch.full((n,), 1.0 - self.config.label_smoothing, device=self.device)
        zeros = torch.zeros(n, device=self.device)
        real_logits = self.discriminator(real, encoded.detach(), labels)
        fake_logits = self.discriminator(fake.detach(), latent[:, :noise_dim], fake_labels)
        loss_d = F.binary_cross_entropy_with_logits(
            real_logits, real_target
        ) + F.binary_cross_entropy_with_logits(fake_logits, zeros)
        d_ok = finite_step(self.opt_d, loss_d)

        # Generator and encoder swap the targets, through the discriminator just updated.
        fool = F.binary_cross_entropy_with_logits(
            self.discriminator(fake, latent[:, :noise_dim], fake_labels), torch.ones_like(zeros)
        ) + F.binary_cross_entropy_with_logits(self.discriminator(real, encoded, labels), zeros)
        reconstruction = F.mse_loss(copies, real)
        loss_ge = fool + self.config.reconstruction_weight * reconstruction
        reading = torch.zeros((), device=self.device)
        if logits is not None and batch.labels is not None:
            reading = F.cross_entropy(logits, labels)
            loss_ge = loss_ge + reading
        if d_ok and finite_step(self.opt_ge, loss_ge, inputs=self.generator_encoder):
            update_ema(self.generator_ema, self.generator, self.config.ema_decay)
        else:
            self.opt_ge.zero_grad(set_to_none=True)
        return {
            "loss_d": loss_d.item(),
            "loss_g": fool.item(),
            "reconstruction": reconstruction.item() / 4,  # per pixel in [0, 1] units
            "class_loss": reading.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(),
        }

    @torch.inference_mode()
    def evaluate(self, batches: Iterable[Batch]) -> dict[str, float]:
        """How well D tells real pairs from generated ones (0.5 = fooled), and how close the
        test images' reconstructions are: their mean squared error per pixel, and that error
        over the error against another test image's reconstruction (1 = no better than a
        random pairing, 0 = perfect)."""
        noise_dim = self.config.latent_dim
        correct = count = 0
        squared = paired = unpaired = 0.0
        read_right = read = 0
        for batch in batches:
            images = batch.images
            n = images.shape[0]
            real = images * 2 - 1
            labels = self._real_labels(batch)
            encoded, _ = self.encoder(real)
            real_ok = self.discriminator(real, encoded, labels) > 0
            latent, fake_labels = self._fake_batch(n)
            fake = self.generator(latent)
            fake_ok = self.discriminator(fake, latent[:, :noise_dim], fake_labels) <= 0
            correct += int(real_ok.sum()) + int(fake_ok.sum())
            count += 2 * n
            codes = self.encode(images)
            copies = self.decode(codes)
            errors = (copies - images).pow(2).flatten(1).mean(1)
            squared += float(errors.sum())
            if n > 1:  # each image against its neighbour's reconstruction
                paired += float(errors.sum())
                unpaired += float((copies.roll(1, 0) - images).pow(2).flatten(1).mean(1).sum())
            if labels is not None:
                read_right += int((self.latent_classes(codes) == labels).sum())
                read += n
        metrics = {
            "test_d_accuracy": correct / max(count, 1),
            "test_reconstruction": squared / max(count // 2, 1),
            "test_reconstruction_ratio": paired / unpaired if unpaired > 0 else float("nan"),
        }
        if read:
            metrics["test_class_accuracy"] = read_right / read
        return metrics

    @torch.inference_mode()
    def encode(self, images: Tensor) -> Tensor:
        """Latents of images in [0, 1]: the noise the generator would need, and (conditional)
        the one-hot code of the class the encoder reads."""
        noise, logits = self.encoder(images.to(self.device) * 2 - 1)
        if logits is None:
            return noise
        return self.with_class(noise, logits.argmax(1))
