"""The part of a trained model that another program runs, as a plain torch module with fixed
inputs and outputs, ready for ONNX or TorchScript.

What is exported follows the kind's description, never its name:
- a classifier: images (N, C, H, W) float in [0, 1] -> class probabilities (N, K);
- a latent space decoded in one pass: latents (N, D) -> images (N, C, H, W) in [0, 1];
- a latent space decoded in many passes (image-shaped noise, a denoising sampler): one
  denoising step, (x_t, t[, label]) -> the noise predicted in x_t; the sampler loop stays with
  the program that runs it, so it can choose its own step count.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from models.kinds.base import ImageModel
from models.kinds.description import CLASSIFIER, LATENT_SPACE, KindDescription


class ExportRefused(ValueError):
    """A run that cannot be exported in the way asked; str() is one line for a person."""


@dataclass(frozen=True)
class Graph:
    """A module to export, the names of its inputs and outputs, and example inputs."""

    module: nn.Module
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    purpose: str  # "classifier", "decoder" or "denoising step"
    description: str  # one line: what goes in and what comes out


def _plain(method):
    """A model's method without its inference-mode decorator: tensors made in inference mode
    cannot be recorded by the exporters."""
    return getattr(method, "__wrapped__", method)


class ProbabilitiesGraph(nn.Module):
    """Images in [0, 1] -> softmax probabilities, through the run's own preprocessing."""

    def __init__(self, model: ImageModel):
        super().__init__()
        self.model = model
        # Registered so .eval() and the exporters see the parameters.
        self.networks = nn.ModuleDict(model.networks())

    def forward(self, images: Tensor) -> Tensor:
        return _plain(type(self.model).classify)(self.model, images)


class DecoderGraph(nn.Module):
    """Latents -> images in [0, 1] (one network pass)."""

    def __init__(self, model: ImageModel):
        super().__init__()
        self.model = model
        self.networks = nn.ModuleDict(model.networks())

    def forward(self, latents: Tensor) -> Tensor:
        return _plain(type(self.model).decode)(self.model, latents)


class DenoisingStepGraph(nn.Module):
    """(x_t in [-1, 1], timestep, label) -> the noise the network sees in x_t.

    The network may predict v instead of the noise; the step converts, so every program gets
    the same quantity whatever the run was trained to predict. Labels are class indices, with
    the number of classes meaning "no class" (the unconditional prediction guidance needs)."""

    def __init__(self, model: ImageModel):
        super().__init__()
        self.net = model.net_ema
        self.register_buffer("alphas", model.alphas.detach().clone().cpu())
        self.prediction = model.prediction
        self.conditional = bool(model.conditional)

    def forward(self, sample: Tensor, timesteps: Tensor, labels: Tensor | None = None) -> Tensor:
        output = self.net(sample, timesteps, labels if self.conditional else None)
        alpha_bar = self.alphas[timesteps][:, None, None, None]
        noise, _ = self.prediction.split(output, sample, alpha_bar)
        return noise


def role_for_export(kind: KindDescription) -> str:
    """The role a run is exported in: a classifier first, else its latent space."""
    if kind.has(CLASSIFIER):
        return CLASSIFIER
    if kind.has(LATENT_SPACE):
        return LATENT_SPACE
    raise ExportRefused(
        f"a {kind.title} run neither classifies images nor draws them from a latent space, "
        "so it has nothing to export yet"
    )


def graph_of(model: ImageModel, kind: KindDescription) -> Graph:
    """The exportable graph of a loaded model."""
    role = role_for_export(kind)
    channels, height, width = model.image_shape
    if role == CLASSIFIER:
        module = ProbabilitiesGraph(model).eval()
        return Graph(module, ("images",), ("probabilities",), "classifier",
                     f"images float32 (N, {channels}, {height}, {width}) in [0, 1] -> "
                     f"probabilities (N, {len(model.class_names)})")  # fmt: skip
    if kind.decode_passes == "one":
        module = DecoderGraph(model).eval()
        dim = model.latent_dim
        return Graph(module, ("latents",), ("images",), "decoder",
                     f"latents float32 (N, {dim}) -> images (N, {channels}, {height}, {width}) "
                     "in [0, 1]")  # fmt: skip
    if kind.latent_layout != "image" or not hasattr(model, "net_ema"):
        raise ExportRefused(f"a {kind.title} run's sampling cannot be exported as one step")
    module = DenoisingStepGraph(model).eval()
    names = ["sample", "timesteps"]
    text = (f"sample float32 (N, {channels}, {height}, {width}) in [-1, 1], timesteps int64 (N,) "
            f"in [0, {len(module.alphas) - 1}]")  # fmt: skip
    if module.conditional:
        names.append("labels")
        text += f", labels int64 (N,) (0..{len(model.class_names) - 1}, or "
        text += f"{len(model.class_names)} for no class)"
    return Graph(module, tuple(names), ("noise",), "denoising step",
                 f"{text} -> predicted noise (N, {channels}, {height}, {width})")  # fmt: skip


def example_inputs(graph: Graph, model: ImageModel, n: int, seed: int = 0) -> tuple[Tensor, ...]:
    """`n` inputs of the graph's kind, from a seed (the check and the tracing use them)."""
    generator = torch.Generator().manual_seed(seed)
    channels, height, width = model.image_shape
    if graph.purpose == "classifier":
        return (torch.rand(n, channels, height, width, generator=generator),)
    if graph.purpose == "decoder":
        return (model.make_noise(n, generator),)
    steps = len(graph.module.alphas)
    inputs = [
        torch.randn(n, channels, height, width, generator=generator),
        torch.randint(steps, (n,), generator=generator),
    ]
    if graph.module.conditional:
        inputs.append(torch.randint(len(model.class_names) + 1, (n,), generator=generator))
    return tuple(inputs)
