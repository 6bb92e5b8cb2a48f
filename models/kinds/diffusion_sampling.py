"""Noise schedules and samplers of a denoising diffusion model, apart from its network.

As in diffusers' schedulers, a sampler is told how many steps to take (`set_timesteps(n)`)
and then turns one network output into the next, less noisy sample
(`step(model_output, t, sample, eta)`). The same trained network therefore serves DDPM's
ancestral sampling, DDIM with any number of steps, and DDIM run backwards (inversion).

Everything works on images scaled to [-1, 1]; the model kind scales.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

# Defined with the kind contract, so the training loop catches it for any many-pass kind.
from models.kinds.base import SamplingCancelled

TRAINING_TIMESTEPS = 1000
SCHEDULES = ("cosine", "linear")
PREDICTIONS = ("v", "noise")


def alphas_cumprod(schedule: str, timesteps: int = TRAINING_TIMESTEPS) -> Tensor:
    """ᾱ_t, the share of the clean image's variance left at each training timestep."""
    if schedule == "linear":  # Ho et al. 2020
        betas = torch.linspace(1e-4, 0.02, timesteps, dtype=torch.float64)
    elif schedule == "cosine":  # Nichol & Dhariwal 2021: noise added evenly in log-SNR
        s = 0.008
        steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
        f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
    else:
        raise ValueError(f"unknown noise schedule {schedule!r}; choose {' or '.join(SCHEDULES)}")
    return torch.cumprod(1 - betas, dim=0).float()


@dataclass(frozen=True)
class Prediction:
    """What the network predicts, and how that converts to noise and clean image."""

    kind: str  # "noise" (ε, Ho et al.) or "v" (√ᾱ ε − √(1−ᾱ) x₀, Salimans & Ho)

    def __post_init__(self):
        if self.kind not in PREDICTIONS:
            raise ValueError(f"unknown prediction {self.kind!r}; choose v or noise")

    def target(self, clean: Tensor, noise: Tensor, alpha_bar: Tensor) -> Tensor:
        if self.kind == "noise":
            return noise
        return alpha_bar.sqrt() * noise - (1 - alpha_bar).sqrt() * clean

    def split(self, output: Tensor, sample: Tensor, alpha_bar: Tensor) -> tuple[Tensor, Tensor]:
        """(predicted noise, predicted clean image) from the network's output at x_t."""
        a, s = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
        if self.kind == "noise":
            return output, (sample - s * output) / a
        return s * sample + a * output, a * sample - s * output


@dataclass(frozen=True)
class StepOutput:
    prev_sample: Tensor
    pred_original_sample: Tensor


class DDIMSampler:
    """DDIM (Song et al. 2021). eta = 0 is deterministic; eta = 1 adds the noise of DDPM's
    posterior, which makes it DDPM's ancestral sampler on the chosen timesteps.

    Timesteps are spaced "trailing" (Lin et al. 2024): the first step is the last training
    timestep, so sampling starts where training put pure noise, at any step count.
    """

    def __init__(self, alphas: Tensor, prediction: Prediction, clip_sample: bool = True):
        self.alphas_cumprod = alphas
        self.prediction = prediction
        self.clip_sample = clip_sample
        self.timesteps: list[int] = []

    @property
    def train_timesteps(self) -> int:
        return len(self.alphas_cumprod)

    def set_timesteps(self, count: int) -> None:
        total = self.train_timesteps
        if not 1 <= count <= total:
            raise ValueError(f"the step count must be between 1 and {total}, not {count}")
        spaced = torch.arange(total, 0, -total / count).round().long() - 1
        self.timesteps = [int(t) for t in spaced]

    def previous_timestep(self, t: int) -> int:
        """The timestep after t in this schedule (-1 for the clean image)."""
        index = self.timesteps.index(t)
        return self.timesteps[index + 1] if index + 1 < len(self.timesteps) else -1

    def alpha_at(self, t: int, like: Tensor) -> Tensor:
        value = self.alphas_cumprod[t] if t >= 0 else torch.tensor(1.0)
        return value.to(device=like.device, dtype=like.dtype)

    def predict(self, model_output: Tensor, t: int, sample: Tensor) -> tuple[Tensor, Tensor]:
        alpha = self.alpha_at(t, sample)
        noise, clean = self.prediction.split(model_output, sample, alpha)
        if self.clip_sample:
            # Pixels live in [-1, 1]; a clean image predicted outside is pulled back, and the
            # noise made consistent with it (few-step sampling overshoots otherwise).
            clean = clean.clamp(-1, 1)
            noise = (sample - alpha.sqrt() * clean) / (1 - alpha).sqrt().clamp(min=1e-8)
        return noise, clean

    def step(self, model_output: Tensor, t: int, sample: Tensor, eta: float = 0.0,
             generator: torch.Generator | None = None) -> StepOutput:  # fmt: skip
        prev = self.previous_timestep(t)
        alpha, alpha_prev = self.alpha_at(t, sample), self.alpha_at(prev, sample)
        noise, clean = self.predict(model_output, t, sample)
        variance = (1 - alpha_prev) / (1 - alpha) * (1 - alpha / alpha_prev)
        sigma = eta * variance.clamp(min=0).sqrt()
        direction = (1 - alpha_prev - sigma**2).clamp(min=0).sqrt() * noise
        prev_sample = alpha_prev.sqrt() * clean + direction
        if eta > 0 and prev >= 0:
            fresh = torch.randn(sample.shape, generator=generator, dtype=sample.dtype)
            prev_sample = prev_sample + sigma * fresh.to(sample.device)
        return StepOutput(prev_sample, clean)

    def invert_step(self, model_output: Tensor, t: int, sample: Tensor) -> Tensor:
        """DDIM backwards: from the sample at the timestep before t (x at `previous_timestep`)
        to the sample at t, with the network's output at t. Approximates the exact inverse
        of a deterministic step by assuming the noise barely changes over one step."""
        prev = self.previous_timestep(t)
        alpha, alpha_prev = self.alpha_at(t, sample), self.alpha_at(prev, sample)
        # The network saw `sample` (at prev) but was told t: read it as if it were at t.
        noise, _ = self.prediction.split(model_output, sample, alpha)
        clean = (sample - (1 - alpha_prev).sqrt() * noise) / alpha_prev.sqrt()
        return alpha.sqrt() * clean + (1 - alpha).sqrt() * noise


class DDPMSampler(DDIMSampler):
    """DDPM's ancestral sampler (Ho et al. 2020): the posterior mean of x_{t-1} given x_t and
    the predicted clean image, plus its noise (the "fixed small" variance). With all 1,000
    steps it is the original algorithm; fewer steps stride the same posterior."""

    def step(self, model_output: Tensor, t: int, sample: Tensor, eta: float = 1.0,
             generator: torch.Generator | None = None) -> StepOutput:  # fmt: skip
        prev = self.previous_timestep(t)
        alpha, alpha_prev = self.alpha_at(t, sample), self.alpha_at(prev, sample)
        _, clean = self.predict(model_output, t, sample)
        beta = 1 - alpha / alpha_prev  # the beta of the (strided) step
        mean = (alpha_prev.sqrt() * beta / (1 - alpha)) * clean + (
            (1 - beta).sqrt() * (1 - alpha_prev) / (1 - alpha)
        ) * sample
        if prev < 0:
            return StepOutput(mean, clean)
        variance = beta * (1 - alpha_prev) / (1 - alpha)
        fresh = torch.randn(sample.shape, generator=generator, dtype=sample.dtype)
        return StepOutput(mean + variance.sqrt() * fresh.to(sample.device), clean)


SAMPLERS = {"ddim": DDIMSampler, "ddpm": DDPMSampler}

# predict(sample, t) -> the network's output (guidance already applied)
Predictor = Callable[[Tensor, int], Tensor]
Cancel = Callable[[], bool]
Progress = Callable[[int, int], None]  # (steps done, steps in all)
OnStep = Callable[[int, Tensor, Tensor], None]  # (t, x_t before the step, predicted clean)


def check_cancel(cancel: Cancel | None) -> None:
    if cancel is not None and cancel():
        raise SamplingCancelled("sampling was cancelled")


def run_sampler(
    sampler: DDIMSampler,
    predict: Predictor,
    sample: Tensor,
    *,
    eta: float = 0.0,
    generator: torch.Generator | None = None,
    cancel: Cancel | None = None,
    progress: Progress | None = None,
    on_step: OnStep | None = None,
) -> Tensor:
    """Denoise `sample` (pure noise at the first timestep) along the sampler's timesteps.
    `cancel` is asked before each network pass, so a stop waits for one step at most."""
    total = len(sampler.timesteps)
    for done, t in enumerate(sampler.timesteps):
        check_cancel(cancel)
        output = sampler.step(predict(sample, t), t, sample, eta, generator)
        if on_step is not None:
            on_step(t, sample, output.pred_original_sample)
        sample = output.prev_sample
        if progress is not None:
            progress(done + 1, total)
    return sample


def run_inversion(
    sampler: DDIMSampler,
    predict: Predictor,
    clean: Tensor,
    *,
    cancel: Cancel | None = None,
    progress: Progress | None = None,
) -> Tensor:
    """The noise at the first timestep that deterministic DDIM (eta 0, same steps) turns back
    into `clean`: the sampler's timesteps walked from the last to the first."""
    sample = clean
    ascending = list(reversed(sampler.timesteps))
    for done, t in enumerate(ascending):
        check_cancel(cancel)
        sample = sampler.invert_step(predict(sample, t), t, sample)
        if progress is not None:
            progress(done + 1, len(ascending))
    return sample
