"""VGG-16 / VGG-19 with ImageNet weights as the feature network, as Gatys et al. used it.

The weights come from torchvision: from the torch hub cache when they were downloaded before,
from a weights file the person chose, or downloaded (with progress) only when asked. Loading
is always safe: `torch.load(weights_only=True)` or safetensors, never pickle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

# The ReLU after each named convolution, by its index in torchvision's `features`.
LAYERS = {
    "vgg16": {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 18, "relu4_2": 20,
              "relu5_1": 25},
    "vgg19": {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20, "relu4_2": 22,
              "relu5_1": 29},
}  # fmt: skip
CONFIGS = {"vgg16": "D", "vgg19": "E"}  # torchvision's layer tables
CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
TITLES = {"vgg16": "VGG-16 (ImageNet weights)", "vgg19": "VGG-19 (ImageNet weights)"}
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class WeightsError(OSError):
    """VGG weights that cannot be had; str() is one line a person can act on."""


def _weights_enum(name: str):
    from torchvision.models import VGG16_Weights, VGG19_Weights

    return {"vgg16": VGG16_Weights, "vgg19": VGG19_Weights}[name].IMAGENET1K_V1


def cached_weights_path(name: str) -> Path:
    """Where torchvision keeps the downloaded weights (present or not)."""
    url = _weights_enum(name).url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def cached_network() -> str | None:
    """The VGG whose weights are already in the torch hub cache (VGG-19 first), if any."""
    for name in ("vgg19", "vgg16"):
        if cached_weights_path(name).is_file():
            return name
    return None


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # damaged, not a weights file, or a pickle that would run code
        raise WeightsError(f"{path.name} is not a weights file that can be read safely "
                           f"({type(exc).__name__})") from None  # fmt: skip
    if not isinstance(state, dict):
        raise WeightsError(f"{path.name} holds no state dict of named tensors")
    return state


def download_weights(name: str, progress: Callable[[int, int], None] | None = None) -> Path:
    """Fetch the ImageNet weights into the torch hub cache; `progress(done, total)` in bytes.

    Raises WeightsError with one line when there is no network.
    """
    import urllib.request

    from models.runs.atomic import atomic_file

    target = cached_weights_path(name)
    if target.is_file():
        return target
    url = _weights_enum(name).url
    try:
        with urllib.request.urlopen(url, timeout=30) as response, atomic_file(target) as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except OSError as exc:  # urllib, ssl and socket errors: no network, or it went away
        raise WeightsError(
            f"could not download the {TITLES[name]} ({type(exc).__name__}: {exc}); without "
            "a network choose a weights file, or use the network that needs no download"
        ) from None
    return target


class VGGFeatures(nn.Module):
    """The ReLU outputs Gatys et al. match, from an RGB batch in [0, 1]; max pooling replaced
    by average pooling, which they found gives smoother results."""

    content_layer = CONTENT_LAYER
    style_layers = STYLE_LAYERS

    def __init__(self, name: str, state_dict: dict[str, torch.Tensor]):
        super().__init__()
        from torchvision.models.vgg import cfgs, make_layers

        # Only the convolutional part: the classifier's 120 M weights are never used here.
        features = make_layers(cfgs[CONFIGS[name]], batch_norm=False)
        features_state = {
            key.removeprefix("features."): value
            for key, value in state_dict.items()
            if key.startswith("features.")
        }
        try:
            features.load_state_dict(features_state)
        except RuntimeError:
            raise WeightsError(f"the weights file does not fit a {TITLES[name]}") from None
        last = max(LAYERS[name].values())
        layers = [
            nn.AvgPool2d(2) if isinstance(layer, nn.MaxPool2d) else layer
            for layer in list(features)[: last + 1]
        ]
        self.layers = nn.Sequential(*layers)
        self.names = {index: layer for layer, index in LAYERS[name].items()}
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        x = (images - self.mean) / self.std
        out = {}
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index in self.names:
                out[self.names[index]] = x
        return out
