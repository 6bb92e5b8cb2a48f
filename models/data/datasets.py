"""Named datasets with one description: image shape, class names, train/test split.

Everything fits in memory, so a dataset is held as uint8 tensors and batched by index;
a per-item DataLoader would cost more than the small models it feeds.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from models.data import images as image_files
from models.kinds.base import Batch, DataInfo
from models.runs.paths import cache_dir, resources_dir

Progress = Callable[[int, int, str], None]  # (done, total, what)
ShouldStop = Callable[[], bool]

DEFAULT_DATASET = "mnist-5k"
OFFLINE_CHOICES = "mnist-5k (bundled), folder:PATH (your own images) or npz:PATH (a NumPy archive)"


class DatasetError(RuntimeError):
    """A dataset that cannot be loaded; the message says what a person can do about it."""


class LoadCancelled(RuntimeError):
    pass


@dataclass(frozen=True)
class DatasetChoice:
    name: str
    title: str
    description: str
    image_shape: tuple[int, int, int]
    offline: bool


CHOICES: tuple[DatasetChoice, ...] = (
    DatasetChoice(
        "mnist-5k",
        "MNIST 5k (bundled)",
        "5,000 handwritten digits shipped with Image Studio; works offline.",
        (1, 28, 28),
        True,
    ),
    DatasetChoice(
        "mnist", "MNIST", "70,000 handwritten digits (11 MB download).", (1, 28, 28), False
    ),
    DatasetChoice(
        "fashion-mnist",
        "Fashion-MNIST",
        "70,000 clothing images in 10 classes (30 MB download).",
        (1, 28, 28),
        False,
    ),
    DatasetChoice(
        "kmnist",
        "Kuzushiji-MNIST",
        "70,000 cursive Japanese characters in 10 classes (20 MB download).",
        (1, 28, 28),
        False,
    ),
    DatasetChoice(
        "cifar10",
        "CIFAR-10",
        "60,000 small colour photos in 10 classes (160 MB download).",
        (3, 32, 32),
        False,
    ),
)

DIGITS = tuple(str(i) for i in range(10))
FASHION = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
KMNIST = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
CIFAR10 = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


@dataclass
class ImageDataset:
    """A whole dataset in memory: uint8 images (N, C, H, W) and int64 labels (or None)."""

    name: str
    info: DataInfo
    train_images: Tensor
    train_labels: Tensor | None
    test_images: Tensor
    test_labels: Tensor | None
    notes: list[str] = field(default_factory=list)

    @property
    def num_train(self) -> int:
        return int(self.train_images.shape[0])

    @property
    def num_test(self) -> int:
        return int(self.test_images.shape[0])

    def to(self, device: torch.device | str) -> ImageDataset:
        def move(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.to(device)

        return replace(
            self,
            train_images=self.train_images.to(device),
            train_labels=move(self.train_labels),
            test_images=self.test_images.to(device),
            test_labels=move(self.test_labels),
        )

    def batch(self, split: str, index: Tensor) -> Batch:
        images, labels = self.split(split)
        chosen = images[index].float().div_(255)
        return Batch(chosen, None if labels is None else labels[index])

    def split(self, split: str) -> tuple[Tensor, Tensor | None]:
        if split == "train":
            return self.train_images, self.train_labels
        if split == "test":
            return self.test_images, self.test_labels
        raise ValueError(f"unknown split {split!r}")

    def epoch_order(self, seed: int, epoch: int) -> Tensor:
        """The training order of one epoch, a pure function of (seed, epoch) so resumes match."""
        generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        return torch.randperm(self.num_train, generator=generator)

    def train_batches(
        self,
        batch_size: int,
        seed: int,
        epoch: int,
        start: int = 0,
        rank: int = 0,
        processes: int = 1,
    ) -> Iterator[Batch]:
        """Shuffled training batches of one epoch from batch number `start`; drops the ragged
        last batch so every step has the same cost and BatchNorm never sees one image.

        Trained by several processes, each takes its share of the epoch as DistributedSampler
        does: the same order in every process, process `rank` takes every `processes`-th image
        from its own offset, and every process gets the same number of batches. Step i's
        batches of all processes together are then step i's batch of one process taking
        `batch_size * processes` images."""
        order = self.epoch_order(seed, epoch).to(self.train_images.device)
        order = rank_share(order, rank, processes)
        count = len(order) // batch_size
        for i in range(start, count):
            yield self.batch("train", order[i * batch_size : (i + 1) * batch_size])

    def test_batches(self, batch_size: int = 500) -> Iterator[Batch]:
        for begin in range(0, self.num_test, batch_size):
            index = torch.arange(begin, min(begin + batch_size, self.num_test))
            yield self.batch("test", index.to(self.test_images.device))

    def steps_per_epoch(self, batch_size: int, processes: int = 1) -> int:
        return max(1, self.num_train // (batch_size * processes))

    def describe(self) -> dict:
        return {
            "name": self.name,
            "image_shape": list(self.info.image_shape),
            "class_names": list(self.info.class_names),
            "num_train": self.num_train,
            "num_test": self.num_test,
            "flips_keep_label": self.info.flips_keep_label,
            "background": self.background_level(),
            "notes": list(self.notes),
        }

    def background_level(self) -> float:
        """Mean border pixel of the training images in [0, 1]: dark (MNIST) or light paper."""
        sample = self.train_images[:512].float() / 255
        border = torch.cat(
            [sample[..., 0, :].flatten(), sample[..., -1, :].flatten(),
             sample[..., :, 0].flatten(), sample[..., :, -1].flatten()]
        )  # fmt: skip
        return round(float(border.mean()), 4)


def rank_share(order: Tensor, rank: int, processes: int) -> Tensor:
    """Process `rank`'s share of an epoch's order: disjoint shares of equal length that
    together hold all but the last `len(order) % processes` images."""
    if not 0 <= rank < processes:
        raise ValueError(f"process {rank} is not one of {processes}")
    usable = len(order) - len(order) % processes
    return order[rank:usable:processes]


def load_dataset(
    name: str,
    *,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    root: Path | None = None,
    folder_side: int | None = None,
) -> ImageDataset:
    """Load a dataset by name: a built-in name, `folder:PATH` or `npz:PATH`. `folder_side`
    brings the photos of a folder to squares of that side (a kind's folder_image_side) instead
    of 28x28 grey / 32x32 colour; the other datasets come as they are."""
    name = name.strip()
    if name.startswith("folder:"):
        from models.data.folder import load_folder

        folder = Path(name[len("folder:") :]).expanduser()
        return load_folder(folder, progress, should_stop, side=folder_side)
    if name.startswith("npz:"):
        from models.data.npz import load_npz

        return load_npz(Path(name[len("npz:") :]))
    if name == "mnist-5k":
        return load_mnist_5k()
    if name in ("mnist", "fashion-mnist", "kmnist", "cifar10"):
        from models.data.download import load_torchvision

        return load_torchvision(name, root or cache_dir() / "datasets")
    known = ", ".join(c.name for c in CHOICES)
    raise DatasetError(f"unknown dataset {name!r}; choose one of {known}, folder:PATH or npz:PATH")


def dataset_title(name: str) -> str:
    for choice in CHOICES:
        if choice.name == name:
            return choice.title
    return name


def load_mnist_5k(path: Path | None = None) -> ImageDataset:
    """The bundled subset; per class the first 450 rows are train, the last 50 test."""
    path = path or resources_dir() / "datasets" / "mnist-5k.npz"
    try:
        with np.load(path, allow_pickle=False) as archive:
            images = archive["images"]
            labels = archive["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise DatasetError(f"the bundled dataset {path} cannot be read ({exc})") from None
    train_rows, test_rows = [], []
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        train_rows.append(rows[:450])
        test_rows.append(rows[450:500])
    train = np.concatenate(train_rows)
    test = np.concatenate(test_rows)
    return from_arrays("mnist-5k", images, labels, train, test, DIGITS, flips_keep_label=False)


def from_arrays(
    name: str,
    images: np.ndarray,
    labels: np.ndarray | None,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    class_names: tuple[str, ...],
    *,
    flips_keep_label: bool,
    notes: list[str] | None = None,
) -> ImageDataset:
    """Images (N, H, W) or (N, H, W, C) uint8 into an ImageDataset."""
    if images.ndim == 3:
        images = images[..., None]
    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    label_tensor = None if labels is None else torch.from_numpy(labels.astype(np.int64))
    c, h, w = tensor.shape[1:]
    train_index = torch.from_numpy(train_rows.astype(np.int64))
    pixel_mean = float(tensor[train_index[:2000]].float().mean() / 255)
    info = DataInfo((int(c), int(h), int(w)), tuple(class_names), flips_keep_label, pixel_mean)
    test_index = torch.from_numpy(test_rows.astype(np.int64))
    return ImageDataset(
        name=name,
        info=info,
        train_images=tensor[train_index].contiguous(),
        train_labels=None if label_tensor is None else label_tensor[train_index],
        test_images=tensor[test_index].contiguous(),
        test_labels=None if label_tensor is None else label_tensor[test_index],
        notes=list(notes or []),
    )


def is_test_file(relative_path: str, fraction: int = 10) -> bool:
    """Deterministic hold-out: the same file is always in the same split, on any machine."""
    # surrogateescape: a file name that is not UTF-8 hashes as the bytes it has on disk.
    return zlib.crc32(relative_path.encode("utf-8", "surrogateescape")) % fraction == 0


def image_paths(folder: Path) -> list[Path]:
    """Everything named like an image but folders: a FIFO, a link to a device or a link loop
    among the files is listed too, and skipped with a reason when it is read."""
    return sorted(p for p in folder.rglob("*") if image_files.is_image_path(p) and not p.is_dir())
