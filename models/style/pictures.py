"""Pictures in and out of style transfer and the image-to-image page, without torch: a file
read as RGB at its own size, a result written atomically in the format its name asks for."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP",
                 ".tif": "TIFF", ".tiff": "TIFF"}  # fmt: skip


def as_rgb(pixels: np.ndarray) -> np.ndarray:
    """Gray (H, W) or (H, W, 1) and RGBA images as RGB uint8."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8:
        raise ValueError("images must be uint8")
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4) or min(pixels.shape[:2]) < 1:
        raise ValueError(f"an image must be H x W (x 1, 3 or 4), not {pixels.shape}")
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return pixels[..., :3]


def load_picture(path: str | Path) -> np.ndarray:
    """An image file as uint8 RGB (H, W, 3), at its own size; ImageLoadError with a reason."""
    from models.data.images import open_image, to_rgb_or_gray

    return np.array(to_rgb_or_gray(open_image(path), 3, []), dtype=np.uint8)


def save_picture(path: str | Path, pixels: np.ndarray) -> None:
    """Write a uint8 image atomically; the format follows the file's suffix (PNG by default)."""
    from PIL import Image

    from models.runs.atomic import atomic_write_bytes

    path = Path(path)
    kind = IMAGE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"cannot write {path.name}: use {', '.join(IMAGE_FORMATS)}")
    buffer = io.BytesIO()
    pixels = np.asarray(pixels)
    Image.fromarray(pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels).save(
        buffer, kind
    )
    atomic_write_bytes(path, buffer.getvalue())
