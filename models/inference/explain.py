"""Why a classifier decided: a heat map in [0, 1] over the image as the model saw it.

Convolutional networks get Grad-CAM (Selvaraju et al. 2017): the last feature maps weighted by
the mean gradient of the predicted class's score, summed, negative parts cut. Vision
Transformers get attention rollout (Abnar & Zuidema 2020): each block's attention averaged
over heads, with the residual stream added as the identity, multiplied through the blocks;
the network averages its output tokens, so a patch's relevance is its mean share over them.
Both maps are coarse (one value per feature-map cell or patch), upsampled bilinearly to the
input's size.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from models.inference.file_results import FileResult
from models.kinds.base import CapabilityError, ImageModel
from models.runs.atomic import atomic_write_bytes

GRAD_CAM = "Grad-CAM"
ROLLOUT = "attention rollout"
OVERLAY_MIN_SIZE = 128  # pixels; written overlays are enlarged (nearest) to at least this

# A dark-blue -> cyan -> yellow -> red ramp: cold where the model did not look, hot where it did.
_RAMP = np.array(
    [[0, 0, 96], [0, 128, 255], [0, 224, 160], [255, 230, 0], [255, 64, 0], [200, 0, 0]],
    dtype=np.float32,
)


def _network(model: ImageModel) -> nn.Module:
    net = getattr(model, "net", None)
    if net is None or not hasattr(net, "forward_features") or not hasattr(model, "network_inputs"):
        raise CapabilityError(f"a {model.title} cannot show why it decided")
    return net


def method(model: ImageModel) -> str:
    """Which explanation the model's network gets."""
    net = _network(model)
    return ROLLOUT if hasattr(net, "attention_layers") else GRAD_CAM


def explain(model: ImageModel, images: Tensor, target: Tensor | None = None) -> np.ndarray:
    """Heat maps (N, H, W) float32 in [0, 1] for images (N, C, H, W) in [0, 1]: where the model
    looked for class `target` (Grad-CAM; by default its top prediction) or, for a transformer,
    which patches its decision drew on. An image the model found nothing in gets zeros."""
    net = _network(model)
    was_training = net.training
    net.eval()
    try:
        inputs = model.network_inputs(images.to(model.device).float())
        if hasattr(net, "attention_layers"):
            coarse = _rollout(net, inputs)
        else:
            coarse = _grad_cam(net, inputs, target)
    finally:
        net.train(was_training)
    heat = F.interpolate(coarse[:, None], size=images.shape[-2:], mode="bilinear",
                         align_corners=False)[:, 0]  # fmt: skip
    low = heat.flatten(1).min(1).values[:, None, None]
    high = heat.flatten(1).max(1).values[:, None, None]
    spread = high - low
    scaled = torch.where(spread > 1e-12, (heat - low) / spread.clamp_min(1e-12), 0.0)
    return scaled.clamp(0, 1).detach().float().cpu().numpy()


def _grad_cam(net: nn.Module, inputs: Tensor, target: Tensor | None) -> Tensor:
    with torch.inference_mode(False), torch.enable_grad():
        features = net.forward_features(inputs.clone())
        logits = net.forward_head(features)
        chosen = logits.argmax(1) if target is None else target.to(logits.device).long()
        score = logits.gather(1, chosen[:, None]).sum()
        (gradient,) = torch.autograd.grad(score, features)
    weights = gradient.mean((2, 3), keepdim=True)
    return F.relu((weights * features).sum(1)).detach()


@torch.no_grad()
def _rollout(net: nn.Module, inputs: Tensor) -> Tensor:
    layers = net.attention_layers()
    for layer in layers:
        layer.keep_weights = True
    try:
        net.forward_features(inputs)
        rolled = None
        for layer in layers:
            attention = layer.weights.mean(1)  # (N, T, T), averaged over heads
            eye = torch.eye(attention.shape[-1], device=attention.device)
            mixed = 0.5 * attention + 0.5 * eye
            mixed = mixed / mixed.sum(-1, keepdim=True)
            rolled = mixed if rolled is None else mixed @ rolled
    finally:
        for layer in layers:
            layer.keep_weights = False
            layer.weights = None
    relevance = rolled.mean(1)  # (N, T): each input patch's mean share in the output tokens
    rows, cols = net.grid
    return relevance.view(-1, rows, cols)


def overlay(pixels: np.ndarray, heat: np.ndarray, strength: float = 0.5) -> np.ndarray:
    """The image (uint8 H x W or H x W x C) in RGB with the heat map (H x W, [0, 1]) blended over
    it as colour: uint8 H x W x 3."""
    image = pixels if pixels.ndim == 3 else pixels[..., None]
    rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image[..., :3]
    position = np.clip(heat, 0, 1) * (len(_RAMP) - 1)
    below = np.floor(position).astype(int).clip(0, len(_RAMP) - 2)
    part = (position - below)[..., None]
    colour = _RAMP[below] * (1 - part) + _RAMP[below + 1] * part
    blended = rgb.astype(np.float32) * (1 - strength) + colour * strength
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def png_bytes(image: np.ndarray, min_size: int = OVERLAY_MIN_SIZE) -> bytes:
    """An RGB uint8 image as PNG, enlarged by a whole factor (nearest) to at least `min_size`."""
    factor = max(1, -(-min_size // max(image.shape[:2])))
    picture = Image.fromarray(image, mode="RGB")
    if factor > 1:
        picture = picture.resize((image.shape[1] * factor, image.shape[0] * factor),
                                 Image.Resampling.NEAREST)  # fmt: skip
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def explain_pixels(model: ImageModel, pixels: Sequence[np.ndarray]) -> np.ndarray:
    """Heat maps for model's-eye images (uint8 H x W x C, as FileResult.pixels holds them)."""
    stack = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).float().div_(255.0)
    return explain(model, stack)


def write_explanations(
    model: ImageModel, results: Iterable[FileResult], folder: Path, batch_size: int = 64
) -> list[Path]:
    """One overlay PNG per classified file in `folder`, named after the file (a number added
    when two files share a name); files that could not be classified are left out."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    taken: set[str] = set()
    chosen = [result for result in results if result.ok and result.pixels is not None]
    for begin in range(0, len(chosen), batch_size):
        part = chosen[begin : begin + batch_size]
        heat = explain_pixels(model, [result.pixels for result in part])
        for result, one in zip(part, heat, strict=True):
            target = folder / _free_name(Path(result.path).stem or "image", taken)
            atomic_write_bytes(target, png_bytes(overlay(result.pixels, one)), durable=False)
            written.append(target)
    return written


def _free_name(stem: str, taken: set[str]) -> str:
    name, number = f"{stem}-explained.png", 2
    while name in taken:
        name, number = f"{stem}-{number}-explained.png", number + 1
    taken.add(name)
    return name
