"""ResNet-18 and Vision Transformer classifiers: the classifier's training
(models/kinds/classifier.py)
over networks from models/nets/, each with its own settings."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.kinds import classifier_settings as settings
from models.kinds.base import fused_optimizer
from models.kinds.classifier import Classifier
from models.kinds.hyperparameters import hyperparameter
from models.nets.resnet import ResNet18
from models.nets.vit import STEMS, VisionTransformer


@dataclass
class ResNet18Config:
    learning_rate: float = settings.sgd_learning_rate()
    batch_size: int = settings.batch_size(128)
    schedule: str = settings.one_cycle_schedule()
    label_smoothing: float = settings.label_smoothing()
    # The CIFAR recipe: a random crop of the image padded by 4 pixels, and a mirror image half
    # the time on data whose flips keep the label (photos, not digits).
    max_shift: int = settings.crop(4)
    cutout: int = settings.cutout(advanced=False)
    max_rotation: float = settings.rotation(0.0, advanced=True)
    max_scale: float = settings.zoom(0.0)
    max_shear: float = settings.slant(0.0)
    plain_finish: float = settings.plain_finish(0.0)
    width: int = hyperparameter(
        64, "Channels of the first stage (doubled at each of the three later stages; 64 is "
        "the original, 16 trains about 16 times faster)", low=4, high=128,
    )  # fmt: skip
    weight_decay: float = settings.weight_decay(5e-4)
    dropout: float = settings.output_dropout(0.0)


class ResNet18Classifier(Classifier):
    kind = "resnet18"
    title = "ResNet-18 classifier"
    summary = "ResNet-18 (CIFAR variant) with crop and flip augmentation, for colour photos."
    config_class = ResNet18Config
    network_name = "resnet"
    # At width 16 about 270 images a second on one idle CPU core: 30 epochs of 5,000 colour
    # photos are about 5 minutes on two. Width 64 takes about 16 times as long.
    default_epochs = 30

    def build_network(self) -> nn.Module:
        config = self.config
        return ResNet18(
            self.data.image_shape[0], len(self.data.class_names), config.width, config.dropout
        )


@dataclass
class ViTConfig:
    learning_rate: float = hyperparameter(
        2e-3, "Peak learning rate of AdamW", low=1e-5, high=1e-1, log_scale=True
    )
    batch_size: int = settings.batch_size(64)
    schedule: str = hyperparameter(
        "warmup-cosine", "How the learning rate moves over the run: a warm-up from a 25th "
        "of the peak, then a cosine decay; or the cosine decay alone",
        choices=("warmup-cosine", "cosine"),
    )  # fmt: skip
    warmup: float = hyperparameter(
        0.1, "Share of the run spent warming the learning rate up", low=0.0, high=0.5,
        advanced=True,
    )  # fmt: skip
    label_smoothing: float = settings.label_smoothing()
    stem: str = hyperparameter(
        "conv", "How the image becomes tokens: a small convolutional stem, shifted patches, or "
        "plain 4 x 4 patches", choices=STEMS,
    )  # fmt: skip
    patch_size: int = hyperparameter(
        4, "Pixels per token side (the stem's stride)", low=2, high=8, choices=(2, 4, 8),
        advanced=True,
    )  # fmt: skip
    dim: int = hyperparameter(96, "Width of each token", low=16, high=768)
    depth: int = hyperparameter(4, "Transformer blocks", low=1, high=24)
    heads: int = hyperparameter(4, "Attention heads per block (must divide dim)", low=1, high=16)
    mlp_ratio: float = hyperparameter(
        2.0, "Width of each block's MLP as a multiple of dim", low=0.5, high=8.0, advanced=True
    )
    dropout: float = hyperparameter(
        0.0, "Dropout inside the blocks", low=0.0, high=0.5, advanced=True
    )
    weight_decay: float = settings.weight_decay(
        0.05, "AdamW weight decay (not applied to norms, biases and position embeddings)", 0.5
    )
    max_rotation: float = settings.rotation(8.0)
    max_scale: float = settings.zoom(0.08)
    max_shear: float = settings.slant(0.15)
    plain_finish: float = settings.plain_finish(0.1)
    max_shift: int = settings.crop(0)
    cutout: int = settings.cutout()


class ViTClassifier(Classifier):
    kind = "vit"
    title = "Vision Transformer classifier"
    summary = "Vision Transformer for small images (4 x 4 patches, pre-norm blocks, AdamW)."
    config_class = ViTConfig
    network_name = "vit"
    optimizer_name = "adamw"
    # About 340 images a second on one idle CPU core with the defaults: 30 epochs of the
    # bundled digits are about 4 minutes of training on two.
    default_epochs = 30

    def build_network(self) -> nn.Module:
        config = self.config
        return VisionTransformer(
            self.data.image_shape, len(self.data.class_names), patch=config.patch_size,
            dim=config.dim, depth=config.depth, heads=config.heads, mlp_ratio=config.mlp_ratio,
            dropout=config.dropout, stem=config.stem,
        )  # fmt: skip

    def build_optimizer(self) -> torch.optim.Optimizer:
        # Decaying norms, biases and position embeddings towards zero only hurts (they are not
        # what overfits), as in the usual ViT recipes.
        decay, keep = [], []
        for name, parameter in self.net.named_parameters():
            (keep if parameter.ndim < 2 or name == "position" else decay).append(parameter)
        groups = [
            {"params": decay, "weight_decay": self.config.weight_decay},
            {"params": keep, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(
            groups, lr=self.config.learning_rate, **fused_optimizer(self.device)
        )
