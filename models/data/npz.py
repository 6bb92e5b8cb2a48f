"""`npz:PATH` datasets: one NumPy archive in the Keras layout, `x_train`, `y_train`, `x_test`,
`y_test` (images uint8 N x H x W or N x H x W x C, labels one integer per image) and an
optional `classes` (one name per label). Every way such a file can be wrong is one line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from models.data.datasets import DatasetError, ImageDataset, from_arrays

REQUIRED = ("x_train", "y_train", "x_test", "y_test")
LAYOUT = "x_train, y_train, x_test, y_test and optionally classes"


def load_npz(path: Path) -> ImageDataset:
    path = path.expanduser()
    if not path.is_file():
        raise DatasetError(f"npz archive not found: {path}")
    arrays = read_arrays(path)
    x_train, x_test = (check_images(path, name, arrays[name]) for name in ("x_train", "x_test"))
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DatasetError(
            f"{path.name}: x_train images are {shape_text(x_train)} but x_test images are "
            f"{shape_text(x_test)}; both splits need one size"
        )
    y_train = check_labels(path, "y_train", arrays["y_train"], x_train, "x_train")
    y_test = check_labels(path, "y_test", arrays["y_test"], x_test, "x_test")
    classes = class_names(path, arrays.get("classes"), max(int(y_train.max()), int(y_test.max())))
    images = np.concatenate([x_train, x_test])
    labels = np.concatenate([y_train, y_test])
    rows = np.arange(len(images))
    # Colour pictures are photos, whose mirror image is the same thing; single-channel data are
    # digits, letters or scans, where it is not (a mirrored 2 is no 2).
    colour = images.ndim == 4 and images.shape[3] == 3
    return from_arrays(
        f"npz:{path.resolve()}", images, labels, rows[: len(x_train)], rows[len(x_train) :],
        classes, flips_keep_label=colour,
    )  # fmt: skip


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with path.open("rb") as handle:
            magic = handle.read(6)
    except OSError as exc:
        raise DatasetError(f"{path.name} cannot be read ({exc.strerror or exc})") from None
    # NumPy takes any other file for a pickle and offers to run it; say what it really is.
    if magic.startswith(b"\x93NUMPY"):
        raise DatasetError(f"{path.name} holds one array, not an archive with {LAYOUT}")
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise DatasetError(f"{path.name} is not a NumPy .npz archive")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            missing = [name for name in REQUIRED if name not in names]
            if missing:
                raise DatasetError(
                    f"{path.name} has no {' or '.join(missing)} array (a dataset archive has "
                    f"{LAYOUT}; it has {', '.join(sorted(names)) or 'nothing'})"
                )
            wanted = [*REQUIRED, *(["classes"] if "classes" in names else [])]
            return {name: archive[name] for name in wanted}
    except DatasetError:
        raise
    except ValueError as exc:
        # allow_pickle=False: an object array would run code to be read, so it is refused.
        raise DatasetError(f"{path.name} cannot be read safely ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(f"{path.name} is not a NumPy .npz archive ({exc})") from None


def shape_text(images: np.ndarray) -> str:
    return " x ".join(str(d) for d in images.shape[1:])


def check_images(path: Path, name: str, images: np.ndarray) -> np.ndarray:
    channels_ok = images.ndim == 3 or (images.ndim == 4 and images.shape[3] in (1, 3))
    if not channels_ok:
        raise DatasetError(
            f"{path.name}: {name} has shape {images.shape}; images must be N x H x W or "
            "N x H x W x C with C = 1 or 3"
        )
    if images.dtype != np.uint8:
        raise DatasetError(f"{path.name}: {name} is {images.dtype}; images must be uint8 (0-255)")
    if images.shape[0] == 0:
        raise DatasetError(f"{path.name}: {name} holds no images")
    if min(images.shape[1:3]) < 8:
        raise DatasetError(
            f"{path.name}: {name} images are {shape_text(images)}; at least 8 x 8 are needed"
        )
    return images


def check_labels(
    path: Path, name: str, labels: np.ndarray, images: np.ndarray, images_name: str
) -> np.ndarray:
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]  # Keras' CIFAR archives keep labels as N x 1
    if labels.ndim != 1:
        raise DatasetError(
            f"{path.name}: {name} has shape {labels.shape}; labels must be one integer per image"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(
            f"{path.name}: {name} is {labels.dtype}; labels must be integers (class numbers)"
        )
    if len(labels) != len(images):
        raise DatasetError(
            f"{path.name}: {images_name} has {len(images)} images but {name} has "
            f"{len(labels)} labels"
        )
    if labels.min() < 0:
        raise DatasetError(f"{path.name}: {name} has a negative label ({int(labels.min())})")
    return labels.astype(np.int64)


def class_names(path: Path, names: np.ndarray | None, largest_label: int) -> tuple[str, ...]:
    if names is None:
        return tuple(str(i) for i in range(largest_label + 1))
    if names.ndim != 1:
        raise DatasetError(f"{path.name}: classes has shape {names.shape}; it must be a list")
    found = tuple(
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        for item in names.tolist()
    )
    if len(found) <= largest_label:
        raise DatasetError(
            f"{path.name}: classes names {len(found)} classes but a label is {largest_label}"
        )
    return found
