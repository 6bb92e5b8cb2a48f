"""The classifier kinds' shared training (augmentation, label smoothing, a one-cycle, cosine or
warm-up-then-cosine learning-rate schedule, evaluation), and the small residual CNN.

A classifier kind is a `Classifier` with its config and the network it builds; the ResNet-18
and the Vision Transformer (models/kinds/classifier_backbones.py) differ from the CNN only there."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.data.augment import cutout, random_affine, random_shift
from models.kinds import classifier_settings as settings
from models.kinds.base import (
    Batch,
    Capability,
    DataInfo,
    ImageModel,
    Metric,
    finite_step,
    fused_optimizer,
)
from models.kinds.hyperparameters import hyperparameter
from models.nets.resnet import ResNetSmall


@dataclass
class CNNConfig:
    learning_rate: float = settings.sgd_learning_rate()
    batch_size: int = settings.batch_size(64)
    schedule: str = settings.one_cycle_schedule()
    label_smoothing: float = settings.label_smoothing()
    # Small random rotations, scalings and slants are how handwriting varies. On the 4,500
    # bundled digits they move the mean final test accuracy from about 98.35 % (no warps) to
    # 98.5 % (10 seeds, 8 epochs); benchmarks/acceptance_times.py measures the default run.
    max_rotation: float = settings.rotation(8.0)
    max_scale: float = settings.zoom(0.08)
    max_shear: float = settings.slant(0.15)
    plain_finish: float = settings.plain_finish(0.125)
    # Off by default: shifting the bundled digits by whole pixels did not help in short runs.
    max_shift: int = settings.crop(0)
    width: int = hyperparameter(
        16, "Channels of the first stage (doubled at each of the two later stages)",
        low=4, high=256, advanced=True,
    )  # fmt: skip
    weight_decay: float = settings.weight_decay(5e-4)
    # Where a stroke is tells digits apart (a closed 4 from a 9): averaging the last feature
    # maps to a 3 x 3 grid instead of one value per channel, with dropout, moved the mean final
    # accuracy on the bundled digits from 98.5 % to 98.7 % (10 seeds, 8 epochs, one thread).
    head_grid: int = hyperparameter(
        3, "The last feature maps are averaged to this many cells per side before the output "
        "layer (1: one average over the whole image)", low=1, high=8, advanced=True,
    )  # fmt: skip
    dropout: float = settings.output_dropout(0.25)
    cutout: int = settings.cutout()


ONE_CYCLE_SCHEDULES = ("one-cycle", "warmup-cosine")


class Classifier(ImageModel):
    """Training shared by every classifier kind. A kind gives its config (with the fields read
    here: learning_rate, batch_size, schedule, label_smoothing, the augmentation limits,
    plain_finish, weight_decay, cutout) and its network; the network has `forward_features`
    and `forward_head(features, pre_logits)` (models/nets/)."""

    capabilities = Capability.CLASSIFY
    needs_labels = True
    primary_metric = Metric("test_accuracy", higher_is_better=True)
    network_name: ClassVar[str]  # the weights' prefix in a run's safetensors
    optimizer_name: ClassVar[str] = "sgd"  # its state's key in state.pt

    def __init__(self, config: Any, data: DataInfo, device):
        super().__init__(config, data, device)
        if not data.labelled:
            raise ValueError(
                "a classifier needs labelled data: a folder with one sub-folder per class"
            )
        # Channels-last lets oneDNN (CPU) and cuDNN pick their fastest convolutions: a default
        # training step on 2 CPU cores takes about 30 % less time. Not tried on MPS, so off there.
        self.memory_format = (
            torch.channels_last if self.device.type in ("cpu", "cuda") else torch.contiguous_format
        )
        self.net = self.build_network().to(self.device, memory_format=self.memory_format)
        self.optimizer = self.build_optimizer()
        self.scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
        self.mean = data.pixel_mean
        self.total_steps = 1  # of the whole run, as planned by prepare()
        self.plain_from: int | None = None  # the step from which images are not warped
        self.steps_done = 0

    def build_network(self) -> nn.Module:
        raise NotImplementedError

    def build_optimizer(self) -> torch.optim.Optimizer:
        """SGD with Nesterov momentum; kinds that train better otherwise override it."""
        return torch.optim.SGD(
            self.net.parameters(), lr=self.config.learning_rate, momentum=0.9, nesterov=True,
            weight_decay=self.config.weight_decay, **fused_optimizer(self.device),
        )  # fmt: skip

    def networks(self) -> dict[str, nn.Module]:
        return {self.network_name: self.net}

    def optimizers(self) -> dict:
        found = {self.optimizer_name: self.optimizer}
        if self.scheduler is not None:
            found["schedule"] = self.scheduler
        return found

    def prepare(self, total_steps: int, done_steps: int = 0) -> None:
        self.total_steps = max(total_steps, 1)
        self.plain_from = round(self.total_steps * (1 - self.config.plain_finish))
        self.steps_done = done_steps
        self.scheduler = self._new_schedule()

    def _new_schedule(self) -> torch.optim.lr_scheduler.LRScheduler:
        schedule = self.config.schedule
        if schedule == "one-cycle":
            return torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=self.config.learning_rate,
                total_steps=self.total_steps + 1, pct_start=0.25,
            )  # fmt: skip
        if schedule == "warmup-cosine":
            # A one-cycle plan without its momentum cycle: a warm-up from lr / 25 over the
            # warm-up share of the run, then a cosine decay to nearly zero.
            return torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=self.config.learning_rate,
                total_steps=self.total_steps + 1, pct_start=self.config.warmup,
                cycle_momentum=False,
            )  # fmt: skip
        return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, self.total_steps)

    def load_optimizer_state(self, state: dict) -> None:
        saved = state.get("schedule") or {}
        length = saved.get("total_steps", saved.get("T_max"))
        one_cycle = self.config.schedule in ONE_CYCLE_SCHEDULES
        planned = self.total_steps + (1 if one_cycle else 0)
        if self.scheduler is None or length == planned or (length is None and not self.steps_done):
            super().load_optimizer_state(state)
            return
        # A run extended to more epochs (or saved without its schedule): the momentum carries
        # on, and the schedule is planned anew over the whole length and moved to where the run
        # is, instead of staying finished.
        if self.optimizer_name in state:
            self.optimizer.load_state_dict(state[self.optimizer_name])
        for group in self.optimizer.param_groups:
            group["lr"] = group.get("initial_lr", self.config.learning_rate)
        self.scheduler = self._new_schedule()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "step() before optimizer.step()": on purpose
            for _ in range(self.steps_done):
                self._advance_schedule()

    def _advance_schedule(self) -> None:
        if self.scheduler is None:
            return
        # One-cycle refuses to step past its planned end (a resumed run may train longer).
        limit = getattr(self.scheduler, "total_steps", None)
        if limit is None or self.scheduler.last_epoch < limit - 1:
            self.scheduler.step()

    def network_inputs(self, images: Tensor) -> Tensor:
        """Images in [0, 1] as the network takes them (centred, scaled, in its memory format)."""
        return ((images - self.mean) / 0.3).contiguous(memory_format=self.memory_format)

    _inputs = network_inputs

    def _augment(self, images: Tensor) -> Tensor:
        config = self.config
        warp = config.max_rotation or config.max_scale or config.max_shear
        settling = self.plain_from is not None and self.steps_done >= self.plain_from
        if warp and not settling:
            images = random_affine(images, config.max_rotation, config.max_scale, config.max_shear)
        if config.max_shift > 0 or self.data.flips_keep_label:
            images = random_shift(images, config.max_shift, self.data.flips_keep_label)
        if config.cutout > 0:
            images = cutout(images, config.cutout, self.mean)
        return images

    def train_step(self, batch: Batch) -> dict[str, float]:
        images = self._augment(batch.images)
        logits = self.net(self._inputs(images))
        loss = F.cross_entropy(logits, batch.labels, label_smoothing=self.config.label_smoothing)
        finite_step(self.optimizer, loss)
        self._advance_schedule()
        self.steps_done += 1
        accuracy = (logits.argmax(1) == batch.labels).float().mean().item()
        return {
            "loss": loss.item(),
            "accuracy": accuracy,
            "lr": self.optimizer.param_groups[0]["lr"],
        }

    @torch.inference_mode()
    def evaluate(self, batches: Iterable[Batch]) -> dict[str, float]:
        total_loss = 0.0
        correct = count = 0
        for batch in batches:
            logits = self.net(self._inputs(batch.images))
            total_loss += F.cross_entropy(logits, batch.labels, reduction="sum").item()
            correct += int((logits.argmax(1) == batch.labels).sum())
            count += batch.images.shape[0]
        count = max(count, 1)
        return {"test_loss": total_loss / count, "test_accuracy": correct / count}

    @torch.inference_mode()
    def classify(self, images: Tensor) -> Tensor:
        return torch.softmax(self.net(self._inputs(images.to(self.device))), dim=1)

    @torch.inference_mode()
    def features(self, images: Tensor) -> Tensor:
        features = self.net.forward_features(self._inputs(images.to(self.device)))
        return self.net.forward_head(features, pre_logits=True)


class CNN(Classifier):
    kind = "cnn"
    title = "CNN classifier"
    summary = "Residual convolutional network that learns to tell the classes apart."
    config_class = CNNConfig
    network_name = "cnn"
    # 98.4-99.2 % test accuracy on mnist-5k depending on the seed (benchmarks/acceptance_times.py
    # sets the bar): about 19 s of training on two idle CPU cores. 10 epochs gave the same mean
    # (98.7 %, 10 seeds) in 1.25 times the time.
    default_epochs = 8
    # Runs from before these fields existed trained on the images as they are, and their
    # output layer read one average per channel.
    settings_before_fields: ClassVar[dict[str, Any]] = {
        "max_rotation": 0.0, "max_scale": 0.0, "max_shear": 0.0, "plain_finish": 0.0,
        "head_grid": 1, "dropout": 0.0,
    }  # fmt: skip

    def build_network(self) -> nn.Module:
        config = self.config
        return ResNetSmall(
            self.data.image_shape[0], len(self.data.class_names), config.width, config.head_grid,
            config.dropout,
        )  # fmt: skip
