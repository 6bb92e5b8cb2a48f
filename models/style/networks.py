"""Which feature network style transfer uses, and a name for it a person can read.

"auto" takes ImageNet VGG weights when they are already on this machine (the torch hub cache)
and otherwise the random multi-scale network, which needs nothing: it never downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from models.style import vgg_features
from models.style.random_features import RandomMultiScaleFeatures

RANDOM = "random"
CHOICES = ("auto", RANDOM, "vgg16", "vgg19")
RANDOM_TITLE = "random multi-scale network (offline; no ImageNet weights)"


@dataclass(frozen=True)
class FeatureNetwork:
    name: str  # one of CHOICES but "auto"
    title: str  # what the window and the command line say is in use
    module: nn.Module  # images in [0, 1] -> {layer: features}


def feature_network(
    choice: str = "auto",
    weights_file: str | Path | None = None,
    download: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> FeatureNetwork:
    """The network for `choice`; a VGG choice without weights raises WeightsError (one line).

    `weights_file` is a VGG state dict the person chose (its VGG is `choice`, or VGG-19 for
    "auto"); `download` fetches missing ImageNet weights through torchvision's URL.
    """
    if choice not in CHOICES:
        raise ValueError(f"unknown feature network {choice!r}; choose one of {', '.join(CHOICES)}")
    if weights_file is not None:
        name = "vgg19" if choice in ("auto", RANDOM) else choice
        state = vgg_features.read_state_dict(Path(weights_file))
        title = f"{vgg_features.TITLES[name]} from {Path(weights_file).name}"
        return FeatureNetwork(name, title, vgg_features.VGGFeatures(name, state))
    if choice == "auto":
        choice = vgg_features.cached_network() or RANDOM
    if choice == RANDOM:
        return FeatureNetwork(RANDOM, RANDOM_TITLE, RandomMultiScaleFeatures())
    path = vgg_features.cached_weights_path(choice)
    if not path.is_file():
        if not download:
            raise vgg_features.WeightsError(
                f"the {vgg_features.TITLES[choice]} are not on this machine; download them, "
                "choose a weights file, or use the random network"
            )
        path = vgg_features.download_weights(choice, progress)
    state = vgg_features.read_state_dict(path)
    return FeatureNetwork(
        choice, vgg_features.TITLES[choice], vgg_features.VGGFeatures(choice, state)
    )
