"""Images in, reference features and class probabilities out; and samples drawn from a
generative model. Both work in chunks and look at a stop flag between them, so a run being
measured still stops within two seconds (a diffusion model's chunk shrinks to fit)."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from models.kinds.base import CapabilityError, ImageModel
from models.kinds.classifier import Classifier

ShouldStop = Callable[[], bool]
CHUNK = 256  # images through the reference network at once
CHUNK_SECONDS = 0.25  # a chunk of samples should take about this long
FIRST_SAMPLES = 16  # the first chunk of samples, before the pace is known


class MeasurementStopped(Exception):
    """A stop was asked for while images were being drawn or measured."""


@dataclass(frozen=True)
class Described:
    """What the reference network sees in a set of images."""

    features: Tensor  # (N, D) float32, CPU
    probabilities: Tensor  # (N, classes) float32, CPU

    @property
    def predicted(self) -> Tensor:
        return self.probabilities.argmax(1)


def as_float_images(images: Tensor) -> Tensor:
    """uint8 (0..255) or float (0..1) images as float in [0, 1]."""
    return images.float().div_(255) if images.dtype == torch.uint8 else images.float()


@torch.inference_mode()
def describe_images(reference: ImageModel, images: Tensor,
                    should_stop: ShouldStop = lambda: False) -> Described:  # fmt: skip
    """Features and probabilities of (N, C, H, W) images, uint8 or float in [0, 1]."""
    features, probabilities = [], []
    for begin in range(0, images.shape[0], CHUNK):
        if should_stop():
            raise MeasurementStopped
        chunk = as_float_images(images[begin : begin + CHUNK].to(reference.device))
        f, p = _features_and_probabilities(reference, chunk)
        features.append(f.float().cpu())
        probabilities.append(p.float().cpu())
    if not features:
        raise ValueError("no images to measure")
    return Described(torch.cat(features), torch.cat(probabilities))


def _features_and_probabilities(reference: ImageModel, images: Tensor) -> tuple[Tensor, Tensor]:
    if isinstance(reference, Classifier):
        # One pass through the trunk for both (the generic calls below would make two).
        maps = reference.net.forward_features(reference.network_inputs(images))
        pooled = reference.net.forward_head(maps, pre_logits=True)
        return pooled, torch.softmax(reference.net.forward_head(maps), dim=1)
    return reference.features(images), reference.classify(images)


def sampling_steps_supported(model: ImageModel) -> bool:
    """Whether the model's `sample` takes a number of sampling steps (many-pass kinds)."""
    return "steps" in inspect.signature(model.sample).parameters


def draw_samples(model: ImageModel, n: int, generator: torch.Generator, *,
                 steps: int | None = None, should_stop: ShouldStop = lambda: False,
                 ) -> Tensor:  # fmt: skip
    """`n` samples, float in [0, 1] on the CPU, in chunks sized to take about CHUNK_SECONDS."""
    extra = {}
    if steps is not None:
        if not sampling_steps_supported(model):
            raise CapabilityError(f"a {model.title} draws a sample in one pass; a number of "
                                  "sampling steps is for kinds that take many")  # fmt: skip
        extra["steps"] = steps
    drawn: list[Tensor] = []
    done, chunk = 0, FIRST_SAMPLES
    while done < n:
        if should_stop():
            raise MeasurementStopped
        size = min(chunk, n - done)
        began = time.perf_counter()
        noise = model.make_noise(size, generator)
        drawn.append(model.sample(size, noise=noise, **extra).float().cpu())
        seconds = max(time.perf_counter() - began, 1e-4)
        done += size
        # Grow (or shrink) towards the chunk that takes CHUNK_SECONDS, at most doubling.
        chunk = max(1, min(2 * chunk, int(size * CHUNK_SECONDS / seconds)))
    return torch.cat(drawn)
