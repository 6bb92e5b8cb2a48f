"""A denoising diffusion model (DDPM, Ho et al. 2020) on a small U-Net, sampled with DDIM.

Training: a clean image, a random timestep of 1,000 and the noise the schedule adds there;
the network learns to predict that noise (or v). On labelled data it is told the class,
except for a share of steps where the class is dropped, so one network knows both the
conditional and the unconditional image and sampling can use classifier-free guidance
(Ho & Salimans 2022) at a scale chosen when sampling.

Its latent is the noise sampling starts from: image-shaped, held flat as (N, C·H·W) rows so
every latent tool (paths, class means, planes) works on it as on a vector; `latent_layout`
says it can be shown as an image. A decode is a whole sampling run, many network passes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.kinds import diffusion_sampling as sampling
from models.kinds.base import (
    Batch,
    Capability,
    DataInfo,
    ImageModel,
    Metric,
    finite_step,
    fused_optimizer,
)
from models.kinds.diffusion_trajectory import DiffusionSampling
from models.kinds.hyperparameters import hyperparameter
from models.kinds.moving_average import update_ema
from models.nets.unet import PATCH, UNet

EVALUATION_SEED = 1234  # the same timesteps and noise at every evaluation, so losses compare


@dataclass
class DiffusionConfig:
    learning_rate: float = hyperparameter(
        1e-3, "Adam learning rate (reached after a short warm-up)", low=1e-5, high=1e-2,
        log_scale=True,
    )  # fmt: skip
    batch_size: int = hyperparameter(64, "Images per training step", low=2, high=1024)
    width: int = hyperparameter(
        32, "Channels of the U-Net's first level (doubled in the second)", low=8, high=256,
        advanced=True,
    )  # fmt: skip
    prediction: str = hyperparameter(
        "v", "What the network predicts: the noise, or v (a blend of noise and image that "
        "stays well scaled at every noise level)", choices=sampling.PREDICTIONS,
    )  # fmt: skip
    schedule: str = hyperparameter(
        "cosine", "How noise grows over the 1,000 training timesteps: cosine (Nichol & "
        "Dhariwal) or linear (Ho et al.)", choices=sampling.SCHEDULES, advanced=True,
    )  # fmt: skip
    ema_decay: float = hyperparameter(
        0.995, "Samples come from a moving average of the weights with this decay (0 uses "
        "the live network)", low=0.0, high=0.9999, advanced=True,
    )  # fmt: skip
    conditional: bool = hyperparameter(
        True, "Tell the network each image's class, so samples can be asked for by class "
        "(ignored for unlabelled data)",
    )  # fmt: skip
    class_dropout: float = hyperparameter(
        0.15, "Share of training steps' images whose class is hidden, so the same network "
        "also learns the unconditional image that guidance needs", low=0.0, high=1.0,
        advanced=True,
    )  # fmt: skip
    guidance: float = hyperparameter(
        2.0, "Classifier-free guidance scale when none is asked for: 1 follows the class as "
        "trained, 0 ignores it, above 1 exaggerates it (clearer, less varied)",
        low=0.0, high=20.0,
    )  # fmt: skip
    sampling_steps: int = hyperparameter(
        50, "DDIM steps of a sample, decode or inversion when no count is asked for",
        low=1, high=1000,
    )  # fmt: skip
    preview_steps: int = hyperparameter(
        10, "DDIM steps of the sample grids drawn while training (few, so a grid is quick)",
        low=1, high=1000, advanced=True,
    )  # fmt: skip


class Diffusion(DiffusionSampling, ImageModel):
    kind = "diffusion"
    title = "Diffusion model"
    summary = "Denoising diffusion: learns to remove noise step by step, then draws images " \
        "from pure noise."  # fmt: skip
    capabilities = Capability.GENERATE | Capability.ENCODE
    config_class = DiffusionConfig
    default_epochs = 100  # long: diffusion keeps improving; watch the grids and stop by hand
    primary_metric = Metric("test_loss", higher_is_better=False)
    latent_layout = "image"
    decode_passes = "many"
    decode_is_deterministic = True  # decode is DDIM with eta 0
    WARMUP_STEPS: ClassVar[int] = 100

    def __init__(self, config: DiffusionConfig, data: DataInfo, device):
        super().__init__(config, data, device)
        channels, height, width = data.image_shape
        if height % (2 * PATCH) or width % (2 * PATCH):
            raise ValueError(f"a {self.title} needs sides divisible by {2 * PATCH}, "
                             f"not {height}x{width}")  # fmt: skip
        self.classes = len(data.class_names) if config.conditional else 0
        self.net = UNet(channels, config.width, self.classes).to(self.device)
        self.net_ema = copy.deepcopy(self.net).requires_grad_(False)
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), config.learning_rate, **fused_optimizer(self.device)
        )
        self.prediction = sampling.Prediction(config.prediction)
        self.alphas = sampling.alphas_cumprod(config.schedule).to(self.device)

    # --- what it is ------------------------------------------------------------------------
    @property
    def latent_dim(self) -> int:
        channels, height, width = self.image_shape
        return channels * height * width

    @property
    def conditional(self) -> bool:
        return self.classes > 0

    def networks(self) -> dict[str, nn.Module]:
        return {"unet": self.net, "unet_ema": self.net_ema}

    def optimizers(self) -> dict:
        return {"adam": self.optimizer}

    def train_mode(self, training: bool) -> None:
        self.net.train(training)
        self.net_ema.train(False)  # only ever sampled from

    # --- training --------------------------------------------------------------------------
    def _updates_done(self) -> int:
        """Optimiser steps taken so far, read from Adam's own state so a resumed run knows
        where its warm-up and averaging stand without extra bookkeeping."""
        first = next(iter(self.net.parameters()))
        state = self.optimizer.state.get(first, {})
        return int(state["step"]) if "step" in state else 0

    def _noised(self, clean: Tensor, timesteps: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        alpha = self.alphas[timesteps][:, None, None, None]
        noisy = alpha.sqrt() * clean + (1 - alpha).sqrt() * noise
        return noisy, self.prediction.target(clean, noise, alpha)

    def _labels(self, batch: Batch) -> Tensor | None:
        if not self.classes or batch.labels is None:
            return None
        return batch.labels.to(self.device).long()

    def train_step(self, batch: Batch) -> dict[str, float]:
        clean = batch.images.to(self.device) * 2 - 1
        n = clean.shape[0]
        timesteps = torch.randint(len(self.alphas), (n,), device=self.device)
        noise = torch.randn_like(clean)
        noisy, target = self._noised(clean, timesteps, noise)
        labels = self._labels(batch)
        if labels is not None:
            hidden = torch.rand(n, device=self.device) < self.config.class_dropout
            labels = torch.where(hidden, torch.full_like(labels, self.classes), labels)
        updates = self._updates_done()
        rate = self.config.learning_rate * min(1.0, (updates + 1) / self.WARMUP_STEPS)
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        loss = F.mse_loss(self.net(noisy, timesteps, labels), target)
        if finite_step(self.optimizer, loss):
            # Averaging starts short and lengthens to `ema_decay`, so early samples are not
            # mostly the random initial weights.
            decay = min(self.config.ema_decay, (1 + updates) / (10 + updates))
            update_ema(self.net_ema, self.net, decay)
        return {"loss": loss.item(), "lr": rate}

    @torch.inference_mode()
    def evaluate(self, batches: Iterable[Batch]) -> dict[str, float]:
        """The training loss on test images, at timesteps and noise fixed by a seed, of the
        averaged network that samples are drawn with."""
        generator = torch.Generator().manual_seed(EVALUATION_SEED)
        total = 0.0
        count = 0
        for batch in batches:
            clean = batch.images.to(self.device) * 2 - 1
            n = clean.shape[0]
            timesteps = torch.randint(len(self.alphas), (n,), generator=generator)
            noise = torch.randn(clean.shape, generator=generator)
            noisy, target = self._noised(clean, timesteps.to(self.device), noise.to(self.device))
            output = self.net_ema(noisy, timesteps.to(self.device), self._labels(batch))
            total += F.mse_loss(output, target, reduction="sum").item() / clean[0].numel()
            count += n
        return {"test_loss": total / max(count, 1)}
