"""What a trained diffusion model does with its network: sample with guidance, decode noise,
invert images into noise, and record the denoising trajectory step by step.

Long work takes `cancel` (asked before every network pass, so a stop waits one step at most)
and `progress` ((done, total) after each step). Results for a person are plain data: uint8
arrays, tuples and ints, never tensors tied to a device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from models.data.grids import to_uint8
from models.kinds import diffusion_sampling as sampling
from models.kinds.base import CapabilityError

DEFAULT_SAMPLER_SEED = 0  # the fresh noise of eta > 0 when no generator is given


@dataclass(frozen=True)
class DenoisingTrajectory:
    """One sampling run, step by step: at each timestep the noisy sample x_t the network was
    shown and the clean image it predicted from it. Arrays are uint8 (steps, N, H, W, C)."""

    timesteps: tuple[int, ...]
    noisy: np.ndarray
    predicted: np.ndarray
    final: np.ndarray  # (N, H, W, C): the finished images

    def side_by_side(self, index: int = 0) -> list[np.ndarray]:
        """`side_by_side_frames` of this trajectory: callers need not know where it lives."""
        return side_by_side_frames(self, index)


def side_by_side_frames(trajectory: DenoisingTrajectory, index: int = 0) -> list[np.ndarray]:
    """A frame per step for one image of the trajectory: x_t on the left, the predicted clean
    image on the right, 2 dark pixels apart; the finished image ends the sequence twice."""
    frames = []
    pairs = [(n[index], p[index]) for n, p in zip(trajectory.noisy, trajectory.predicted,
                                                  strict=True)]  # fmt: skip
    final = trajectory.final[index]
    pairs.append((final, final))
    for left, right in pairs:
        gap = np.full((left.shape[0], 2, left.shape[2]), 40, np.uint8)
        frames.append(np.concatenate([left, gap, right], axis=1))
    return frames


def _to_unit(images: Tensor) -> Tensor:
    return ((images + 1) / 2).clamp(0, 1)


class DiffusionSampling:
    """Sampling side of the diffusion kind (models/kinds/diffusion.py); expects `net_ema`,
    `alphas`, `prediction`, `classes`, `config`, `device` and `image_shape`."""

    # --- the latent: noise, flat ----------------------------------------------------------
    def make_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Standard-normal starting noise, one flat row of C·H·W values per image."""
        return torch.randn(n, self.latent_dim, generator=generator)

    def relabel(self, latents: Tensor, labels: Tensor) -> Tensor:
        if not self.classes:
            raise CapabilityError(f"this {self.title} was trained without classes")
        raise CapabilityError(
            f"a {self.title}'s noise carries no class: ask decode for the class instead"
        )

    def _as_images(self, latent: Tensor) -> Tensor:
        return latent.to(self.device, torch.float32).reshape(-1, *self.image_shape)

    # --- the network, guided --------------------------------------------------------------
    def _class_weights(self, labels: Tensor | None, n: int) -> Tensor | None:
        """Labels as weights over the classes and the "no class" entry, (N, K + 1): class
        indices become one-hot rows, class weights (N, K) are kept as a blend."""
        if labels is None or not self.classes:
            return None
        labels = labels.to(self.device)
        if labels.dim() == 1:
            labels = labels.long()
            if labels.numel() and (labels.min() < 0 or labels.max() >= self.classes):
                raise ValueError(f"class indices must be between 0 and {self.classes - 1}")
            return F.one_hot(labels, self.classes + 1).float().expand(n, -1)
        if labels.shape[1] != self.classes:
            raise ValueError(f"class weights need {self.classes} columns, not {labels.shape[1]}")
        return F.pad(labels.float(), (0, 1)).expand(n, -1)

    def _predictor(self, labels: Tensor | None, n: int, guidance: float):
        net = self.net_ema
        weights = self._class_weights(labels, n)
        if weights is not None and guidance == 0:
            weights = None  # scale 0 is the unconditional model: one pass, not two
        if weights is None or guidance == 1:

            def predict(sample: Tensor, t: int) -> Tensor:
                return net(sample, torch.full((len(sample),), t, device=self.device), weights)

            return predict
        unconditional = F.one_hot(torch.full((n,), self.classes), self.classes + 1).float()
        both_weights = torch.cat([weights, unconditional.to(self.device)])

        def guided(sample: Tensor, t: int) -> Tensor:
            timesteps = torch.full((2 * len(sample),), t, device=self.device)
            conditional, plain = net(torch.cat([sample, sample]), timesteps, both_weights).chunk(2)
            return plain + guidance * (conditional - plain)

        return guided

    def _sampler(self, name: str, steps: int) -> sampling.DDIMSampler:
        if name not in sampling.SAMPLERS:
            raise ValueError(f"unknown sampler {name!r}; choose {' or '.join(sampling.SAMPLERS)}")
        sampler = sampling.SAMPLERS[name](self.alphas, self.prediction)
        sampler.set_timesteps(int(steps))
        return sampler

    # --- sampling ---------------------------------------------------------------------------
    @torch.inference_mode()
    def decode(self, latent: Tensor, labels: Tensor | None = None, *, steps: int | None = None,
               eta: float = 0.0, guidance: float | None = None, sampler: str = "ddim",
               generator: torch.Generator | None = None, cancel=None, progress=None,
               on_step=None) -> Tensor:  # fmt: skip
        """Images in [0, 1] from starting noise: a whole sampling run (`sampling_steps` DDIM
        steps unless told). `labels` (class indices, or class weights (N, K)) asks a
        conditional model for classes with classifier-free guidance; without labels it
        draws from what the network learned with the class hidden."""
        noise = self._as_images(latent)
        steps = self.config.sampling_steps if steps is None else steps
        guidance = self.config.guidance if guidance is None else float(guidance)
        if guidance < 0:
            raise ValueError(f"the guidance scale must be at least 0, not {guidance}")
        if generator is None and (eta > 0 or sampler == "ddpm"):
            generator = torch.Generator().manual_seed(DEFAULT_SAMPLER_SEED)
        out = sampling.run_sampler(
            self._sampler(sampler, steps), self._predictor(labels, len(noise), guidance), noise,
            eta=eta, generator=generator, cancel=cancel, progress=progress, on_step=on_step,
        )  # fmt: skip
        return _to_unit(out)

    @torch.inference_mode()
    def sample(self, n: int, *, noise: Tensor | None = None, labels: Tensor | None = None,
               steps: int | None = None, **options) -> Tensor:  # fmt: skip
        """`n` images; without a step count, the quick `preview_steps` of the training grids.
        A conditional model asked for no class draws the classes in turn (as a DCGAN's noise
        does), so any batch covers them evenly."""
        noise = self.make_noise(n) if noise is None else noise
        if labels is None and self.classes:
            labels = torch.arange(len(noise)) % self.classes
        steps = self.config.preview_steps if steps is None else steps
        return self.decode(noise, labels, steps=steps, **options)

    @torch.inference_mode()
    def trajectory(self, latent: Tensor, labels: Tensor | None = None, *,
                   steps: int | None = None, **options) -> DenoisingTrajectory:  # fmt: skip
        """A sampling run with the noisy sample and the predicted clean image of each step."""
        noisy: list[np.ndarray] = []
        predicted: list[np.ndarray] = []
        timesteps: list[int] = []

        def keep(t: int, sample: Tensor, clean: Tensor) -> None:
            timesteps.append(t)
            noisy.append(to_uint8(_to_unit(sample)))
            predicted.append(to_uint8(_to_unit(clean)))

        final = self.decode(latent, labels, steps=steps, on_step=keep, **options)
        return DenoisingTrajectory(tuple(timesteps), np.stack(noisy), np.stack(predicted),
                                   to_uint8(final))  # fmt: skip

    # --- inversion --------------------------------------------------------------------------
    @torch.inference_mode()
    def encode(self, images: Tensor, labels: Tensor | None = None, *, steps: int | None = None,
               cancel=None, progress=None) -> Tensor:  # fmt: skip
        """The noise (flat rows) from which deterministic DDIM with the same steps regenerates
        the images: DDIM run backwards. Without labels, as the unconditional model (what
        `decode` without labels undoes); with labels, as that class (guidance 1)."""
        clean = images.to(self.device, torch.float32) * 2 - 1
        steps = self.config.sampling_steps if steps is None else steps
        sampler = self._sampler("ddim", steps)
        noise = sampling.run_inversion(sampler, self._predictor(labels, len(clean), 1.0), clean,
                                       cancel=cancel, progress=progress)  # fmt: skip
        return noise.flatten(1)

    @torch.inference_mode()
    def reconstruct(self, images: Tensor, steps: int | None = None, *, cancel=None,
                    progress=None) -> Tensor:  # fmt: skip
        """Inversion then regeneration, both with `preview_steps` unless told: the training
        loop draws its reconstruction grid with this call, and 16 images through two runs of
        50 steps cost four times the sample grid (55 CPU-seconds on a shared 2-core machine).
        Ask for `steps` (e.g. `sampling_steps`) for a careful reconstruction."""
        steps = self.config.preview_steps if steps is None else steps

        def halves(offset: int):
            if progress is None:
                return None
            return lambda done, total: progress(offset + done, 2 * total)

        noise = self.encode(images, steps=steps, cancel=cancel, progress=halves(0))
        return self.decode(noise, steps=steps, guidance=1.0, cancel=cancel,
                           progress=halves(steps))  # fmt: skip
