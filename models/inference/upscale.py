"""Enlarging a person's pictures with an upscaler run, of any size, without Qt.

`upscale(model, image)` takes a uint8 (H, W, C) picture and gives the enlarged uint8 picture,
working tile by tile: each tile is read with enough overlap (the network's context) that the
joined result equals the whole image done at once, while memory stays that of one tile.
`bicubic(image, factor)` is the baseline to show beside it. `upscale_files` runs over files
and writes PNGs, giving each file that cannot be used a one-line reason, as `classify` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.data.grids import png_bytes
from models.data.images import ImageLoadError, open_image, to_rgb_or_gray
from models.kinds.base import Capability, CapabilityError, ImageModel
from models.nets.espcn import bicubic_upscale
from models.runs.atomic import atomic_write_bytes

TILE = 192  # input pixels per tile side: big enough that the overlap costs little
MAX_OUTPUT_PIXELS = 100_000_000  # an RGB result this large already takes 300 MB
ShouldStop = Callable[[], bool]


class UpscaleCancelled(RuntimeError):
    """Asked to stop between two tiles."""


def _check(model: ImageModel) -> None:
    if not model.can(Capability.IMAGE_TO_IMAGE):
        raise CapabilityError(f"a {model.title} does not turn one image into another")


def _as_hwc(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3) or image.dtype != np.uint8:
        raise ValueError("expected a uint8 picture of shape (H, W), (H, W, 1) or (H, W, 3)")
    return image


def output_size(model: ImageModel, height: int, width: int) -> tuple[int, int]:
    """(height, width) of what `upscale` makes of a picture of this size."""
    _check(model)
    return model.output_size(height, width)


def upscale(model: ImageModel, image: np.ndarray, *, tile: int = TILE,
            should_stop: ShouldStop | None = None) -> np.ndarray:  # fmt: skip
    """A uint8 (H, W, C) picture enlarged by the model: uint8 (H * f, W * f, C), C as given.

    A grayscale model enlarges a colour picture's brightness (Y of YCbCr) and the colours
    follow by bicubic, as ESPCN's authors did; a colour model enlarges a grayscale picture as
    grey RGB and gives it back grey. `should_stop` is asked between tiles (UpscaleCancelled).
    """
    _check(model)
    image = _as_hwc(image)
    model_channels, factor = model.image_shape[0], model.factor

    def enlarge(region: torch.Tensor) -> torch.Tensor:
        """One (1, C, h, w) region of the picture in [0, 1], enlarged in the model's way."""
        if model_channels == 1 and region.shape[1] == 3:
            ycbcr = _rgb_to_ycbcr(region[0])
            luma = model.apply(ycbcr[None, :1]).float().cpu()
            colour = bicubic_upscale(ycbcr[None, 1:], factor)
            return _ycbcr_to_rgb(torch.cat([luma, colour], 1)[0])[None]
        if model_channels == 3 and region.shape[1] == 1:
            return model.apply(region.expand(-1, 3, -1, -1)).float().cpu().mean(1, keepdim=True)
        return model.apply(region).float().cpu()

    return _tiled(enlarge, image, factor, model.context, tile, should_stop)


def bicubic(image: np.ndarray, factor: int) -> np.ndarray:
    """The bicubic enlargement of a uint8 (H, W, C) picture: what the model is compared with."""
    pixels = torch.from_numpy(np.array(_as_hwc(image))).permute(2, 0, 1)  # a writable copy
    enlarged = bicubic_upscale(pixels[None].float().div_(255), factor)[0]
    return np.ascontiguousarray(_to_uint8(enlarged).permute(1, 2, 0).numpy())


def _to_uint8(pixels: torch.Tensor) -> torch.Tensor:
    return pixels.clamp(0, 1).mul_(255).round_().to(torch.uint8)


def _tiled(enlarge: Callable[[torch.Tensor], torch.Tensor], image: np.ndarray, factor: int,
           margin: int, tile: int, should_stop: ShouldStop | None) -> np.ndarray:  # fmt: skip
    """A uint8 (H, W, C) picture enlarged tile by tile into a uint8 result: each tile is
    given `margin` pixels of its neighbours on every side and only its own part of the
    enlargement is kept, so memory beyond the result is that of one tile."""
    height, width, channels = image.shape
    tile = max(1, int(tile))
    out = np.empty((height * factor, width * factor, channels), np.uint8)
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            if should_stop is not None and should_stop():
                raise UpscaleCancelled("upscaling was stopped")
            bottom, right = min(top + tile, height), min(left + tile, width)
            y0, x0 = max(top - margin, 0), max(left - margin, 0)
            y1, x1 = min(bottom + margin, height), min(right + margin, width)
            region = torch.from_numpy(np.array(image[y0:y1, x0:x1]))  # a writable copy
            enlarged = enlarge(region.permute(2, 0, 1)[None].float().div_(255))[0]
            ty, tx = (top - y0) * factor, (left - x0) * factor
            kept = enlarged[:, ty : ty + (bottom - top) * factor, tx : tx + (right - left) * factor]
            out[top * factor : bottom * factor, left * factor : right * factor] = (
                _to_uint8(kept).permute(1, 2, 0).numpy()
            )
    return out


# ITU-R BT.601 full range, as JPEG uses.
def _rgb_to_ycbcr(rgb: torch.Tensor) -> torch.Tensor:
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 0.5 + (b - y) * 0.564
    cr = 0.5 + (r - y) * 0.713
    return torch.stack([y, cb, cr])


def _ycbcr_to_rgb(ycbcr: torch.Tensor) -> torch.Tensor:
    y, cb, cr = ycbcr
    r = y + 1.403 * (cr - 0.5)
    b = y + 1.773 * (cb - 0.5)
    g = (y - 0.299 * r - 0.114 * b) / 0.587
    return torch.stack([r, g, b])


# --- files ------------------------------------------------------------------------------
@dataclass(frozen=True)
class UpscaledFile:
    """One file's result: where its enlargement was written and the sizes, or the reason
    it has none."""

    path: str
    output: str = ""
    size: tuple[int, int] = (0, 0)  # (width, height) of the file
    output_size: tuple[int, int] = (0, 0)
    reason: str = ""


def read_picture(path: str | os.PathLike) -> np.ndarray:
    """A person's image file at its own size, upright, as uint8 (H, W, 1) when it is grey and
    (H, W, 3) otherwise (transparency flattened). ImageLoadError with a one-line reason."""
    image = open_image(path)
    try:
        rgb = np.array(to_rgb_or_gray(image, 3, []), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(f"damaged image file ({' '.join(str(exc).split())})") from None
    if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all():
        return np.ascontiguousarray(rgb[..., :1])
    return rgb


def upscale_files(model: ImageModel, paths: Iterable[str | os.PathLike], output_dir: Path, *,
                  should_stop: ShouldStop | None = None) -> Iterator[UpscaledFile]:  # fmt: skip
    """Each file enlarged and written as OUTPUT_DIR/NAME.png, in input order. Two inputs of
    one name get NAME-2.png, ...; an input is never written over."""
    _check(model)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    inputs = [Path(p) for p in paths]
    taken = {os.path.normcase(os.path.abspath(p)) for p in inputs}
    for path in inputs:
        if should_stop is not None and should_stop():
            return
        yield _upscale_file(model, path, output_dir, taken)


def _upscale_file(model: ImageModel, path: Path, output_dir: Path, taken: set[str]) -> UpscaledFile:
    try:
        picture = read_picture(path)
    except ImageLoadError as exc:
        return UpscaledFile(str(path), reason=" ".join(str(exc).split()))
    except MemoryError:
        return UpscaledFile(str(path), reason="not enough memory to decode this image")
    except Exception as exc:  # a decoder bug must cost one file, not the others
        return UpscaledFile(str(path), reason=f"could not be read ({type(exc).__name__}: {exc})")
    height, width = picture.shape[:2]
    out_h, out_w = model.output_size(height, width)
    if out_h * out_w > MAX_OUTPUT_PIXELS:
        return UpscaledFile(str(path), size=(width, height), reason=f"the result would be "
                            f"{out_w}x{out_h} pixels, more than {MAX_OUTPUT_PIXELS:,}")  # fmt: skip
    try:
        enlarged = upscale(model, picture)
    except MemoryError:
        return UpscaledFile(str(path), size=(width, height), reason="not enough memory")
    target = _free_name(output_dir, path.stem or "image", taken)
    try:
        atomic_write_bytes(target, png_bytes(enlarged))
    except OSError as exc:
        return UpscaledFile(str(path), size=(width, height),
                            reason=f"cannot write {target}: {exc.strerror or exc}")  # fmt: skip
    return UpscaledFile(str(path), str(target), (width, height), (out_w, out_h))


def _free_name(folder: Path, stem: str, taken: set[str]) -> Path:
    number = 1
    while True:
        candidate = folder / (f"{stem}.png" if number == 1 else f"{stem}-{number}.png")
        key = os.path.normcase(os.path.abspath(candidate))
        if key not in taken:
            taken.add(key)
            return candidate
        number += 1
