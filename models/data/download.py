"""Standard datasets fetched by torchvision into a cache folder on first use."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from models.data.datasets import (
    CIFAR10,
    DIGITS,
    FASHION,
    KMNIST,
    OFFLINE_CHOICES,
    DatasetError,
    ImageDataset,
    from_arrays,
)

MNIST_FAMILY = {
    "mnist": ("MNIST", DIGITS),
    "fashion-mnist": ("FashionMNIST", FASHION),
    "kmnist": ("KMNIST", KMNIST),
}
# The binary CIFAR-10 release: fixed-size records, so no pickle is ever opened.
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
CIFAR_DIR = "cifar-10-batches-bin"


def offline_error(title: str, exc: BaseException) -> DatasetError:
    return DatasetError(
        f"could not download {title} ({type(exc).__name__}: {exc}). Check the network "
        f"connection, or choose a dataset that works offline: {OFFLINE_CHOICES}"
    )


def load_torchvision(name: str, root: Path) -> ImageDataset:
    root.mkdir(parents=True, exist_ok=True)
    if name == "cifar10":
        return load_cifar10(root)
    class_name, classes = MNIST_FAMILY[name]
    import torchvision.datasets as tvd

    dataset_class = getattr(tvd, class_name)
    splits = {}
    for train in (True, False):
        try:
            splits[train] = load_cached(dataset_class, root, train)
        except FileNotFoundError:
            try:
                # torchvision prints a progress bar for each file it downloads.
                splits[train] = dataset_class(str(root), train=train, download=True)
            except Exception as exc:  # urllib, ssl and socket errors all mean "offline" here
                raise offline_error(class_name, exc) from None
    train_images = splits[True].data.numpy()
    test_images = splits[False].data.numpy()
    images = np.concatenate([train_images, test_images])
    labels = np.concatenate([splits[True].targets.numpy(), splits[False].targets.numpy()])
    rows = np.arange(len(images))
    return from_arrays(
        name, images, labels, rows[: len(train_images)], rows[len(train_images) :],
        classes, flips_keep_label=name == "fashion-mnist",
    )  # fmt: skip


def load_cached(dataset_class, root: Path, train: bool):
    """A split from the cache folder; FileNotFoundError when it is not there yet.

    torchvision reads the raw files, or an old cache format (processed/*.pt, a pickle) when
    present; the pickle is opened with weights_only, which refuses anything but tensors. A
    refused or damaged cache is one line naming the file and the folder to delete."""
    folder = root / dataset_class.__name__
    try:
        return dataset_class(str(root), train=train, download=False)
    except pickle.UnpicklingError:
        legacy = folder / "processed" / (dataset_class.training_file if train else
                                         dataset_class.test_file)  # fmt: skip
        raise DatasetError(
            f"{legacy} holds objects other than tensors and was refused unread (it could run "
            f"code); delete {folder} and the dataset is downloaded again"
        ) from None
    except RuntimeError as exc:
        if str(exc).startswith("Dataset not found"):
            raise FileNotFoundError(folder) from None
        raise _damaged_cache(folder, exc) from None
    except (AssertionError, EOFError, IndexError, OSError, TypeError, ValueError) as exc:
        raise _damaged_cache(folder, exc) from None


def _damaged_cache(folder: Path, exc: BaseException) -> DatasetError:
    detail = (str(exc).splitlines() or [""])[0] or type(exc).__name__
    return DatasetError(
        f"the cached files in {folder} are damaged ({detail}); delete {folder} and the "
        "dataset is downloaded again"
    )


def read_cifar_records(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch: records of 1 label byte + 3072 pixel bytes (R, G, B planes)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % 3073:
        raise DatasetError(f"{path} is not a CIFAR-10 binary batch (damaged download?)")
    records = raw.reshape(-1, 3073)
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), records[:, 0].astype(np.int64)


def load_cifar10(root: Path) -> ImageDataset:
    folder = root / CIFAR_DIR
    train_files = [folder / f"data_batch_{i}.bin" for i in range(1, 6)]
    test_file = folder / "test_batch.bin"
    if not all(p.exists() for p in [*train_files, test_file]):
        from torchvision.datasets.utils import download_and_extract_archive

        try:
            download_and_extract_archive(CIFAR_URL, str(root), md5=CIFAR_MD5)
        except Exception as exc:
            raise offline_error("CIFAR-10", exc) from None
    parts = [read_cifar_records(p) for p in train_files]
    test_images, test_labels = read_cifar_records(test_file)
    train_images = np.concatenate([p[0] for p in parts])
    images = np.concatenate([train_images, test_images])
    labels = np.concatenate([*[p[1] for p in parts], test_labels])
    rows = np.arange(len(images))
    return from_arrays(
        "cifar10", images, labels, rows[: len(train_images)], rows[len(train_images) :],
        CIFAR10, flips_keep_label=True,
    )  # fmt: skip
