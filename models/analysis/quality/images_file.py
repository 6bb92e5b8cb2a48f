"""A set of images to measure, from an .npz file as `image-studio sample -o x.npz` writes
it: uint8 (N, H, W) for one channel or (N, H, W, C). Anything else is refused in one line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

KEY = "images"


def read_images_npz(path: Path) -> np.ndarray:
    """The file's `images` array (or its only array)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if KEY in names:
                return archive[KEY]
            if len(names) == 1:
                return archive[names[0]]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npz file ({exc})") from None
    raise ValueError(f"{path}: holds {', '.join(names) or 'no arrays'}; expected one named "
                     f"{KEY!r}")  # fmt: skip


def images_for_dataset(array: np.ndarray, image_shape: tuple[int, int, int], name: str = "images",
                       ) -> Tensor:  # fmt: skip
    """uint8 (N, C, H, W) images, checked against the dataset's (C, H, W)."""
    channels, height, width = image_shape
    wanted = f"uint8 N x {height} x {width}" + ("" if channels == 1 else f" x {channels}")
    if array.dtype != np.uint8:
        raise ValueError(f"{name} are {array.dtype}, not uint8 (0-255); expected {wanted}")
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[1:] != (height, width, channels):
        raise ValueError(f"{name} have the shape {' x '.join(map(str, array.shape))}; the "
                         f"dataset's images are {wanted}")  # fmt: skip
    if array.shape[0] == 0:
        raise ValueError(f"{name}: the file holds no images")
    return torch.from_numpy(np.ascontiguousarray(array)).permute(0, 3, 1, 2).contiguous()
