"""What a kind is and can do, as plain data: the one description the studio and the command
line derive every chooser, message and refusal from, so neither ever names a kind.

Importing this module does not import torch: the studio's GUI thread reads descriptions that
a worker made with `describe_kind`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Roles a kind can play. Each is a small protocol of models.kinds.base.ImageModel that the
# kinds test checks for every registered kind (tests/models/test_kinds.py).
TRAINABLE = "trainable"  # train_step, evaluate, exact resume
LATENT_SPACE = "latent space"  # prior noise, decode (and sample)
ENCODER = "encoder"  # encode images into that latent space
CLASSIFIER = "classifier"  # probabilities and features of images
CONDITIONAL = "conditional"  # can be asked for a class when trained on labelled data
IMAGE_TO_IMAGE = "image to image"  # apply(images) -> images

# The capability flag behind each role (models.kinds.base.Capability names).
_ROLE_OF_CAPABILITY = {
    "GENERATE": LATENT_SPACE,
    "ENCODE": ENCODER,
    "CLASSIFY": CLASSIFIER,
    "CONDITIONAL": CONDITIONAL,
    "IMAGE_TO_IMAGE": IMAGE_TO_IMAGE,
}


@dataclass(frozen=True)
class KindDescription:
    kind: str
    title: str
    summary: str
    roles: frozenset[str]
    # "vector" for (n, latent_dim) latents, "image" for latents shaped like the images
    # (diffusion noise), "" for kinds without a latent space.
    latent_layout: str
    # How many network passes one decode costs: 1, or the number of sampling steps chosen.
    decode_passes: str  # "one" or "many"
    decode_is_deterministic: bool
    metric: str
    metric_higher_is_better: bool
    needs_labels: bool
    default_epochs: int

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def draws_images(self) -> bool:
        """Whether its runs save image grids as they train: samples, reconstructions, or
        before-and-after pictures."""
        return bool(self.roles & {LATENT_SPACE, ENCODER, IMAGE_TO_IMAGE})


def describe_kind(cls) -> KindDescription:
    """The description of a model class (a models.kinds.base.ImageModel subclass)."""
    from models.kinds.base import Capability  # torch: only where a class is described

    roles = {TRAINABLE}
    for flag in Capability:
        if flag.name in _ROLE_OF_CAPABILITY and cls.capabilities & flag:
            roles.add(_ROLE_OF_CAPABILITY[flag.name])
    latent = getattr(cls, "latent_layout", "vector") if LATENT_SPACE in roles else ""
    return KindDescription(
        kind=cls.kind,
        title=cls.title,
        summary=cls.summary,
        roles=frozenset(roles),
        latent_layout=latent,
        decode_passes=getattr(cls, "decode_passes", "one"),
        decode_is_deterministic=getattr(cls, "decode_is_deterministic", True),
        metric=cls.primary_metric.name,
        metric_higher_is_better=cls.primary_metric.higher_is_better,
        needs_labels=bool(cls.needs_labels),
        default_epochs=int(cls.default_epochs),
    )


def titles_with(descriptions, role: str) -> str:
    """'VAE, DCGAN or GAN with encoder': the kinds that play `role`, for a message."""
    titles = [d.title for d in descriptions if role in d.roles]
    if not titles:
        return ""
    if len(titles) == 1:
        return titles[0]
    return f"{', '.join(titles[:-1])} or {titles[-1]}"


def describe_registered() -> dict[str, KindDescription]:
    """Every registered kind's description, in the registry's order."""
    from models.kinds.registry import KINDS

    return {name: describe_kind(cls) for name, cls in KINDS.items()}
