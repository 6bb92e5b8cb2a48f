"""The one interface every model kind implements, and the capabilities it declares."""

from __future__ import annotations

import enum
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn


class Capability(enum.Flag):
    NONE = 0
    GENERATE = enum.auto()
    ENCODE = enum.auto()
    CONDITIONAL = enum.auto()
    CLASSIFY = enum.auto()
    IMAGE_TO_IMAGE = enum.auto()


class SamplingCancelled(RuntimeError):
    """A long sampling run (many network passes) was asked to stop between two of its steps."""


class CapabilityError(RuntimeError):
    """Asked a model for something its kind cannot do (e.g. encode with a GAN)."""


@dataclass(frozen=True)
class DataInfo:
    """What a model must know about its data: shape, class names and how flips behave."""

    image_shape: tuple[int, int, int]  # (C, H, W)
    class_names: tuple[str, ...] = ()
    flips_keep_label: bool = False
    pixel_mean: float = 0.5  # mean training pixel in [0, 1], for output-bias initialisation

    @property
    def labelled(self) -> bool:
        return len(self.class_names) > 0


@dataclass(frozen=True)
class Batch:
    """Images as float in [0, 1], (N, C, H, W), on the model's device; labels or None."""

    images: Tensor
    labels: Tensor | None = None


@dataclass(frozen=True)
class Metric:
    """The number that says how good a run is, and which direction is better."""

    name: str
    higher_is_better: bool


class ImageModel(ABC):
    """A trainable image model. Owns its networks and optimisers.

    Kinds override what their capabilities promise; the rest raise CapabilityError so the
    studio and the CLI can say plainly what a kind cannot do.
    """

    kind: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    capabilities: ClassVar[Capability]
    config_class: ClassVar[type]
    needs_labels: ClassVar[bool] = False
    default_epochs: ClassVar[int] = 10  # what a first run on mnist-5k should use
    # The side a `folder:PATH` photo is brought to (short side, then square crops); None: the
    # 28x28 grey / 32x32 colour the generative kinds are built for.
    folder_image_side: ClassVar[int | None] = None
    primary_metric: ClassVar[Metric]

    def __init__(self, config: Any, data: DataInfo, device: torch.device) -> None:
        self.config = config
        self.data = data
        self.device = torch.device(device)

    # --- what the kind is -------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.data.image_shape

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.data.class_names

    @property
    def latent_dim(self) -> int | None:
        return None

    def can(self, capability: Capability) -> bool:
        return bool(self.capabilities & capability)

    # --- training ----------------------------------------------------------------------
    def prepare(self, total_steps: int, done_steps: int = 0) -> None:  # noqa: B027 - optional hook
        """Called before each training session with the planned step count of the whole run
        and the steps already done (a resumed run), for schedules."""

    @abstractmethod
    def train_step(self, batch: Batch) -> dict[str, float]:
        """One optimisation step. A non-finite loss leaves the weights untouched."""

    @abstractmethod
    def evaluate(self, batches: Iterable[Batch]) -> dict[str, float]:
        """Held-out metrics, averaged per image."""

    @abstractmethod
    def networks(self) -> dict[str, nn.Module]:
        """The modules whose weights make up the model (saved to safetensors)."""

    def optimizers(self) -> dict[str, Any]:
        """Optimisers and schedulers whose state a resume needs (saved to state.pt)."""
        return {}

    def train_mode(self, training: bool) -> None:
        for net in self.networks().values():
            net.train(training)

    # --- what the kind can do ----------------------------------------------------------
    # Every run saves all its settings, so a field missing from a saved run was added since;
    # these are the values that match how such a run was trained (not today's defaults).
    settings_before_fields: ClassVar[dict[str, Any]] = {}

    @classmethod
    def saved_settings(cls, hyperparameters: dict[str, Any]) -> dict[str, Any]:
        """A run's saved settings brought up to date with `settings_before_fields`."""
        return {**cls.settings_before_fields, **hyperparameters}

    @property
    def conditional(self) -> bool:
        """Whether `sample` and `decode` can be asked for a class."""
        return False

    def latent_classes(self, latents: Tensor) -> Tensor | None:
        """The class each latent asks a conditional model for; None for other models."""
        return None

    def relabel(self, latents: Tensor, labels: Tensor) -> Tensor:
        """The same latents asking a conditional model for other classes (class indices)."""
        raise CapabilityError(f"this {self.title} was trained without classes")

    def make_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """A standard-normal latent batch: the prior of every generative kind so far."""
        if not self.can(Capability.GENERATE) or self.latent_dim is None:
            raise CapabilityError(f"a {self.title} does not generate images")
        return torch.randn(n, self.latent_dim, generator=generator)

    @torch.inference_mode()
    def sample(
        self, n: int, *, noise: Tensor | None = None, labels: Tensor | None = None
    ) -> Tensor:
        noise = self.make_noise(n) if noise is None else noise
        return self.decode(noise, labels)

    def encode(self, images: Tensor) -> Tensor:
        raise CapabilityError(f"a {self.title} has no encoder")

    def encode_distribution(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of the encoder's Gaussian over the latent, for kinds whose
        encoder gives a distribution (a VAE's); an encoder that gives a point raises."""
        raise CapabilityError(f"a {self.title} encodes an image to a point, not a distribution")

    def decode(self, latent: Tensor, labels: Tensor | None = None) -> Tensor:
        raise CapabilityError(f"a {self.title} cannot decode a latent")

    def reconstruct(self, images: Tensor) -> Tensor:
        return self.decode(self.encode(images))

    def classify(self, images: Tensor) -> Tensor:
        raise CapabilityError(f"a {self.title} does not classify images")

    def features(self, images: Tensor) -> Tensor:
        raise CapabilityError(f"a {self.title} has no feature space")

    def apply(self, images: Tensor) -> Tensor:
        """Images (N, C, H, W) in [0, 1] turned into other images (an upscaler's larger ones)."""
        raise CapabilityError(f"a {self.title} does not turn one image into another")

    # --- state -------------------------------------------------------------------------
    def weights(self) -> dict[str, Tensor]:
        """Flat name -> tensor map of every network, for safetensors."""
        flat = {}
        for net_name, net in self.networks().items():
            for key, value in net.state_dict().items():
                flat[f"{net_name}.{key}"] = value.detach().contiguous().cpu()
        return flat

    def load_weights(self, flat: dict[str, Tensor]) -> None:
        for net_name, net in self.networks().items():
            prefix = f"{net_name}."
            part = {k[len(prefix) :]: v for k, v in flat.items() if k.startswith(prefix)}
            net.load_state_dict(part, strict=True)

    def optimizer_state(self) -> dict[str, Any]:
        return {name: opt.state_dict() for name, opt in self.optimizers().items()}

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        for name, opt in self.optimizers().items():
            if name in state:
                opt.load_state_dict(state[name])


def finite_step(
    optimizer: torch.optim.Optimizer, loss: Tensor, inputs: list[Tensor] | None = None
) -> bool:
    """Backpropagate and step only when the loss is finite, so one bad batch spoils nothing.

    `inputs` limits the gradient to those tensors (a GAN's generator step must not spend
    time on the discriminator's gradients).
    """
    optimizer.zero_grad(set_to_none=True)
    if not math.isfinite(loss.item()):
        return False
    loss.backward(inputs=inputs)
    optimizer.step()
    return True


def fused_optimizer(device: torch.device) -> dict[str, bool]:
    """Keyword arguments that make Adam / SGD update all parameters in one kernel.

    A small model's step is short enough that updating each parameter tensor in its own
    Python loop costs a sixth of it (default VAE on the CPU: 6.7 -> 5.8 ms a step).
    """
    return {"fused": torch.device(device).type in ("cpu", "cuda", "mps")}


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
