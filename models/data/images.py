"""The one place that turns a person's image file into a tensor in a model's format."""

from __future__ import annotations

import io
import os
import struct
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from models.runs.regular_files import FileTooLarge, NotARegularFile, read_regular

# Only formats people actually hand over; Pillow can open dozens more (EPS runs Ghostscript).
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_PIXELS = 64_000_000  # beyond this a file is more likely a decompression bomb than a photo
SUPPORTED = "PNG, JPEG, WebP, BMP, GIF, TIFF"

# warnings.catch_warnings() swaps process-wide state; two loader threads must not interleave.
_WARNINGS_LOCK = threading.Lock()


class ImageLoadError(ValueError):
    """A file that cannot be used as an image; str() is a one-line reason for a person."""


@dataclass
class LoadedImage:
    """An image in a model's format plus what was done to get it there."""

    pixels: np.ndarray  # uint8, (H, W, C)
    original_size: tuple[int, int]
    original_mode: str
    steps: list[str] = field(default_factory=list)
    thumbnail: np.ndarray | None = None  # uint8 RGB, the file as a person sees it, when asked

    def tensor(self) -> torch.Tensor:
        """Float (C, H, W) in [0, 1]."""
        return torch.from_numpy(self.pixels).permute(2, 0, 1).float().div_(255)


def is_image_path(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(IMAGE_SUFFIXES)


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open and fully decode an image, refusing anything unsafe or broken with a reason."""
    path = Path(path)
    try:
        # Read the file whole (at most MAX_FILE_BYTES): Pillow then holds no open file, so a
        # multi-frame image or a decode error cannot leak a file handle. Only a regular file
        # is read: a FIFO would wait forever for a writer and /dev/zero never ends.
        data = read_regular(path, MAX_FILE_BYTES)
    except NotARegularFile as exc:
        raise ImageLoadError(f"{_kind_of(exc, path)}, not an image file") from None
    except FileTooLarge as exc:
        raise ImageLoadError(
            f"file too large ({exc.size / 2**20:.0f} MiB; limit {MAX_FILE_BYTES // 2**20} MiB)"
        ) from None
    except OSError as exc:
        raise ImageLoadError(f"cannot read file: {exc.strerror or exc}") from None
    if not data:
        raise ImageLoadError("empty file (0 bytes)")
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        if image.width * image.height > MAX_PIXELS:
            raise ImageLoadError(
                f"image too large ({image.width}x{image.height} pixels), "
                "refused as a possible decompression bomb"
            )
        image.load()
    except ImageLoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError("refused as a decompression bomb (too many pixels)") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"not an image in a supported format ({SUPPORTED})") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise ImageLoadError(_damaged(exc)) from None
    return image


def _kind_of(exc: NotARegularFile, path: Path) -> str:
    """ "is a FIFO (named pipe)" or "links to /dev/zero, a character device": the refusal
    without the path, which the row or message showing it already names."""
    return str(exc).removeprefix(f"{path} ").removesuffix(", not a regular file")


def _damaged(exc: BaseException) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    if "truncated" in message.lower():
        return "damaged or truncated image file"
    return f"damaged image file ({message})"


def to_rgb_or_gray(image: Image.Image, channels: int, steps: list[str]) -> Image.Image:
    """Any Pillow mode to 'L' or 'RGB', flattening transparency onto black or white."""
    if getattr(image, "n_frames", 1) > 1:
        steps.append(f"used the first of {image.n_frames} frames")
        image.seek(0)
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    image = ImageOps.exif_transpose(image)
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        steps.append("turned upright as its EXIF orientation says")
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        if mode.startswith("I;16"):
            top = 65535.0
        elif mode == "F" and np.nanmax(array, initial=0.0) <= 1.0:
            top = 1.0  # floating-point images usually hold [0, 1]
        else:
            top = 65535.0 if np.nanmax(array, initial=0.0) > 255 else 255.0
        array = np.nan_to_num(array, nan=0.0, posinf=top, neginf=0.0)
        array = np.clip(array / top * 255.0, 0, 255).round().astype(np.uint8)
        image = Image.fromarray(array, mode="L")
        steps.append(f"scaled {mode} pixels to 8 bits")
    transparent = image.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        image.mode in ("P", "L", "RGB", "1") and image.info.get("transparency") is not None
    )
    if transparent:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, _background_for(image))
        image = Image.alpha_composite(background, image)
        steps.append("flattened transparency")
    elif image.mode == "CMYK":
        image = image.convert("RGB")
        steps.append("converted CMYK to RGB")
    if channels == 1:
        if image.mode != "L":
            image = image.convert("L")
            steps.append("converted to grayscale")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _background_for(image: Image.Image) -> tuple[int, int, int, int]:
    """Transparent areas become the colour opposite to the ink, so strokes stay visible."""
    rgba = np.asarray(image)
    opaque = rgba[..., 3] > 127
    if not opaque.any():
        return (0, 0, 0, 255)
    ink = rgba[..., :3][opaque].mean()
    return (0, 0, 0, 255) if ink > 127 else (255, 255, 255, 255)


def load_image(
    path: str | os.PathLike,
    image_shape: tuple[int, int, int],
    *,
    resample=Image.BILINEAR,
    thumbnail_size: int | None = None,
) -> LoadedImage:
    """A file as uint8 (H, W, C) of `image_shape` = (C, H, W), with the steps taken."""
    image = open_image(path)
    try:
        return convert_image(image, image_shape, resample=resample, thumbnail_size=thumbnail_size)
    except ImageLoadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        # Decoding is lazy for later frames and some modes (e.g. CIELAB) have no conversion.
        raise ImageLoadError(_damaged(exc)) from None


def convert_image(
    image: Image.Image,
    image_shape: tuple[int, int, int],
    *,
    resample=Image.BILINEAR,
    thumbnail_size: int | None = None,
) -> LoadedImage:
    """`thumbnail_size` also keeps a colour picture at most that many pixels wide and high."""
    channels, height, width = image_shape
    steps: list[str] = []
    original = (image.width, image.height)
    original_mode = image.mode
    thumbnail = None
    if thumbnail_size:
        # The same upright, flattened picture the model gets, but in colour and the file's
        # own proportions, so a person recognises their file beside what the model saw.
        picture = to_rgb_or_gray(image, 3, [])
        picture.thumbnail((thumbnail_size, thumbnail_size), Image.BILINEAR)
        thumbnail = np.ascontiguousarray(np.array(picture, dtype=np.uint8))
    image = to_rgb_or_gray(image, channels, steps)
    if image.size != (width, height):
        image = image.resize((width, height), resample=resample, reducing_gap=3.0)
        steps.append(f"resized {original[0]}x{original[1]} to {width}x{height}")
    pixels = np.array(image, dtype=np.uint8)  # a writable copy, not a view of Pillow's buffer
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    return LoadedImage(np.ascontiguousarray(pixels), original, original_mode, steps, thumbnail)
