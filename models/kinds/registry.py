"""Kind name -> model class (which knows its config class). Adding a kind is one module and
one line here; the studio and the command line list kinds from this table."""

from __future__ import annotations

from models.kinds.base import ImageModel
from models.kinds.bigan import BiGAN
from models.kinds.classifier import CNN
from models.kinds.classifier_backbones import ResNet18Classifier, ViTClassifier
from models.kinds.diffusion import Diffusion
from models.kinds.gan import DCGAN
from models.kinds.superres import SuperResolution
from models.kinds.vae import VAE

KINDS: dict[str, type[ImageModel]] = {
    cls.kind: cls
    for cls in (
        VAE,
        DCGAN,
        BiGAN,  # bigan
        Diffusion,  # diffusion
        CNN,
        ResNet18Classifier,  # resnet18
        ViTClassifier,  # vit
        SuperResolution,  # superres
    )
}
DEFAULT_KIND = "vae"


class UnknownKind(KeyError):
    def __str__(self) -> str:
        return f"unknown model kind {self.args[0]!r}; choose one of {', '.join(KINDS)}"


def model_class(kind: str) -> type[ImageModel]:
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def config_class(kind: str) -> type:
    return model_class(kind).config_class
