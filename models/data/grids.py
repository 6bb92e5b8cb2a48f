"""Image grids: tensors in [0, 1] to uint8 arrays and PNG files."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.runs.atomic import atomic_write_bytes


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) floats in [0, 1] -> uint8 (N, H, W, C) on the CPU."""
    array = images.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8)
    return array.permute(0, 2, 3, 1).cpu().numpy()


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """uint8 (N, H, W, C) -> one uint8 (H', W', C) image with a dark gap between tiles."""
    n, h, w, c = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.full(
        (rows * (h + padding) + padding, columns * (w + padding) + padding, c), 40, np.uint8
    )
    for i in range(n):
        r, col = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = images[i]
    return grid


def pair_grid(originals: np.ndarray, reconstructions: np.ndarray, columns: int = 4) -> np.ndarray:
    """Originals and reconstructions side by side: each original followed by its copy."""
    n = min(len(originals), len(reconstructions))
    paired = np.empty((2 * n, *originals.shape[1:]), np.uint8)
    paired[0::2], paired[1::2] = originals[:n], reconstructions[:n]
    return make_grid(paired, columns=2 * columns)  # `columns` pairs to a row


def png_bytes(image: np.ndarray) -> bytes:
    array = image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image
    buffer = io.BytesIO()
    # zlib's fastest level: grids are written during training every few hundred steps, and
    # level 1 encodes one about four times faster than the default for files a third larger.
    Image.fromarray(array).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def save_png(path: Path, image: np.ndarray) -> None:
    atomic_write_bytes(path, png_bytes(image), durable=False)


def read_png(path: Path) -> np.ndarray:
    with Image.open(path, formats=("PNG",)) as image:
        array = np.asarray(image.convert("L" if image.mode in ("L", "1", "I;16") else "RGB"))
    return array[..., None] if array.ndim == 2 else array
