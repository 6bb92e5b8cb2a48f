"""The settings every classifier kind shares, described once: each kind's config picks its own
defaults (digits want warps, photos want crops and flips) but the meaning, range and help of a
setting are the same on every form."""

from __future__ import annotations

from typing import Any

from models.kinds.hyperparameters import hyperparameter


def sgd_learning_rate(default: float = 0.1) -> Any:
    return hyperparameter(
        default, "Peak learning rate of SGD with Nesterov momentum",
        low=1e-4, high=1.0, log_scale=True,
    )  # fmt: skip


def batch_size(default: int) -> Any:
    return hyperparameter(default, "Images per training step", low=2, high=1024)


def one_cycle_schedule() -> Any:
    return hyperparameter(
        "one-cycle", "How the learning rate moves over the run", choices=("one-cycle", "cosine")
    )


def label_smoothing(default: float = 0.1) -> Any:
    return hyperparameter(
        default, "Share of each target spread over the other classes", low=0.0, high=0.5
    )


def rotation(default: float, advanced: bool = False) -> Any:
    return hyperparameter(
        default, "Random rotation augmentation, up to this many degrees (0 turns it off)",
        low=0.0, high=45.0, advanced=advanced,
    )  # fmt: skip


def zoom(default: float) -> Any:
    return hyperparameter(
        default, "Random zoom augmentation, up to this share in or out", low=0.0, high=0.5,
        advanced=True,
    )  # fmt: skip


def slant(default: float) -> Any:
    return hyperparameter(
        default, "Random slant augmentation (horizontal shear), up to this much", low=0.0,
        high=1.0, advanced=True,
    )  # fmt: skip


def plain_finish(default: float) -> Any:
    return hyperparameter(
        default, "Share of the run, at its end, trained without rotation, zoom and slant, so "
        "the model settles on the real images", low=0.0, high=1.0, advanced=True,
    )  # fmt: skip


def crop(default: int) -> Any:
    return hyperparameter(
        default, "Random crop augmentation: the image padded by this many pixels and cut back "
        "at a random place (0 turns it off; 4 for colour photos)", low=0, high=8,
    )  # fmt: skip


def cutout(default: int = 0, advanced: bool = True) -> Any:
    return hyperparameter(
        default, "Random cutout augmentation: a square of this many pixels per side blanked in "
        "each training image (0 turns it off)", low=0, high=32, advanced=advanced,
    )  # fmt: skip


def weight_decay(default: float, help: str = "L2 weight decay", high: float = 0.1) -> Any:
    return hyperparameter(default, help, low=0.0, high=high, advanced=True)


def output_dropout(default: float) -> Any:
    return hyperparameter(
        default, "Share of the output layer's inputs dropped at random in each training step",
        low=0.0, high=0.9, advanced=True,
    )  # fmt: skip
