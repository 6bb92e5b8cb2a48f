"""Writing generated images for a person: grids and strips as PNG or GIF, arrays as .npz."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.data.grids import make_grid, save_png, to_uint8
from models.runs.atomic import atomic_file, atomic_write_bytes


def _check_suffix(path: Path, allowed: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ValueError(f"{path.name}: choose a file ending in {' or '.join(allowed)}")
    return suffix


def save_images(path: Path, images: torch.Tensor) -> None:
    """A grid PNG, or an .npz with `images` uint8 (N, H, W) or (N, H, W, C)."""
    array = to_uint8(images)
    if _check_suffix(Path(path), (".png", ".npz")) == ".npz":
        stored = array[..., 0] if array.shape[-1] == 1 else array
        with atomic_file(Path(path)) as handle:
            np.savez_compressed(handle, images=stored)
    else:
        save_png(Path(path), make_grid(array))


def gif_bytes(frames: list[np.ndarray], duration_ms: int = 120, bounce: bool = False) -> bytes:
    """An endlessly looping animated GIF; `bounce` plays forward then back."""
    sequence = frames + frames[-2:0:-1] if bounce and len(frames) > 2 else frames
    pictures = [Image.fromarray(f[..., 0] if f.shape[-1] == 1 else f) for f in sequence]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=duration_ms, loop=0)  # fmt: skip
    return buffer.getvalue()


def save_strip(path: Path, images: torch.Tensor) -> None:
    """One row of images as a PNG, or the same images as a forward-and-back GIF loop."""
    array = to_uint8(images)
    if _check_suffix(Path(path), (".png", ".gif")) == ".gif":
        frames = [np.kron(a, np.ones((4, 4, 1), np.uint8)) for a in array]  # 4x: visible size
        atomic_write_bytes(Path(path), gif_bytes(frames, bounce=True))
    else:
        save_png(Path(path), make_grid(array, columns=len(array)))
