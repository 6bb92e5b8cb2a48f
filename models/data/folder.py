"""`folder:PATH` datasets: class sub-folders are labels, a flat folder is unlabelled."""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from models.data import images as image_files
from models.data.datasets import (
    DatasetError,
    ImageDataset,
    LoadCancelled,
    Progress,
    ShouldStop,
    from_arrays,
    image_paths,
    is_test_file,
)

MAX_SKIPPED_LISTED = 5
MAX_SQUARES_PER_PHOTO = 4  # a panorama gives a few squares, not dozens of near-copies


def choose_shape(samples: list[Image.Image]) -> tuple[int, int, int]:
    """Grayscale folders train at 28x28, colour ones at 32x32: the sizes the kinds are built for."""
    colour = any(
        img.mode not in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F") for img in samples
    )
    if colour and any(_is_really_colour(img) for img in samples):
        return (3, 32, 32)
    return (1, 28, 28)


def _is_really_colour(image: Image.Image) -> bool:
    rgb = np.asarray(image.convert("RGB").resize((16, 16)), dtype=np.int16)
    return bool(np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max() > 12)


def load_squares(path: Path, channels: int, side: int) -> tuple[list[np.ndarray], list[str]]:
    """A photo shrunk (Lanczos, antialiased) so its short side is `side` pixels, cut into
    squares of that side along its long side: the centre one, or for a photo at least twice as
    long as wide several side by side, so little of it is thrown away. uint8 (side, side, C)."""
    image = image_files.open_image(path)
    steps: list[str] = []
    try:
        upright = image_files.to_rgb_or_gray(image, channels, steps)
        width, height = upright.size
        scale = side / min(width, height)
        size = (max(side, round(width * scale)), max(side, round(height * scale)))
        if size != upright.size:
            upright = upright.resize(size, Image.LANCZOS, reducing_gap=3.0)
            steps.append(f"resized {width}x{height} to {size[0]}x{size[1]}")
        pixels = np.array(upright, dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise image_files.ImageLoadError(f"damaged image file ({exc})") from None
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    long_side = max(pixels.shape[:2])
    count = max(1, min(MAX_SQUARES_PER_PHOTO, long_side // side))
    # Evenly spread starts; with count <= long_side // side the squares never overlap.
    starts = [(long_side - side) / 2] if count == 1 else np.linspace(0, long_side - side, count)
    squares = []
    for start in np.round(starts).astype(int):
        if pixels.shape[1] >= pixels.shape[0]:
            square = pixels[:side, start : start + side]
        else:
            square = pixels[start : start + side, :side]
        squares.append(np.ascontiguousarray(square))
    return squares, steps


def load_folder(
    folder: Path,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    *,
    side: int | None = None,
) -> ImageDataset:
    """`side`: photos become squares of that side (load_squares) in the colour or grey
    choose_shape decides; None: every image is resized to choose_shape's 28x28 or 32x32."""
    if not folder.is_dir():
        raise DatasetError(f"folder not found: {folder}")
    paths = image_paths(folder)
    if not paths:
        raise DatasetError(
            f"no images in {folder} (looked for {', '.join(image_files.IMAGE_SUFFIXES)})"
        )
    subdirs = {
        p.relative_to(folder).parts[0] for p in paths if len(p.relative_to(folder).parts) > 1
    }
    labelled = len(subdirs) >= 2
    class_names = tuple(sorted(subdirs)) if labelled else ()
    if labelled:
        paths = [p for p in paths if len(p.relative_to(folder).parts) > 1]

    probe = []
    for path in paths[:32]:
        try:
            probe.append(image_files.open_image(path))
        except image_files.ImageLoadError:
            continue
    if not probe:
        raise DatasetError(f"none of the first images in {folder} could be opened")
    shape = choose_shape(probe)
    if side is not None:
        shape = (shape[0], side, side)

    pixels, labels, rows_test, skipped = [], [], [], []
    resized, converted, photos, photo_of_row = Counter(), 0, 0, []
    for done, path in enumerate(paths):
        if should_stop is not None and should_stop():
            raise LoadCancelled(f"loading {folder} was cancelled")
        if progress is not None and (done % 50 == 0 or done == len(paths) - 1):
            progress(done + 1, len(paths), f"reading {folder.name}")
        relative = path.relative_to(folder).as_posix()
        try:
            if side is None:
                loaded = image_files.load_image(path, shape)
                squares, steps, original = [loaded.pixels], loaded.steps, loaded.original_size
            else:
                squares, steps = load_squares(path, shape[0], side)
                original = None
        except image_files.ImageLoadError as exc:
            skipped.append(f"{relative}: {exc}")
            continue
        for step in steps:
            if step.startswith("resized"):
                resized[step.split()[1] if original is None else "x".join(map(str, original))] += 1
            elif step.startswith("converted"):
                converted += 1
        # Squares of one photo share its label and its split, so none is tested on its twin.
        pixels.extend(squares)
        labels.extend([class_names.index(relative.split("/")[0]) if labelled else 0] * len(squares))
        rows_test.extend([is_test_file(relative)] * len(squares))
        photo_of_row.extend([photos] * len(squares))
        photos += 1
    if photos < 2:
        raise DatasetError(f"{folder} has fewer than two usable images")

    notes = []
    for size, count in resized.most_common():
        target = f"{shape[2]}x{shape[1]}" if side is None else f"a short side of {side}"
        notes.append(f"resized {count} images from {size} to {target}")
    if side is not None:
        notes.append(f"cut {len(pixels)} squares of {side}x{side} from {photos} images")
    if converted:
        notes.append(f"converted {converted} images to {'grayscale' if shape[0] == 1 else 'RGB'}")
    if skipped:
        listed = "; ".join(skipped[:MAX_SKIPPED_LISTED])
        more = (
            f" and {len(skipped) - MAX_SKIPPED_LISTED} more"
            if len(skipped) > MAX_SKIPPED_LISTED
            else ""
        )
        notes.append(f"skipped {len(skipped)} unreadable files ({listed}{more})")

    is_test = np.array(rows_test, dtype=bool)
    if is_test.all() or not is_test.any():
        # Tiny folders: the hash may put everything on one side; hold out the last image.
        is_test[:] = False
        is_test[np.array(photo_of_row) == photo_of_row[-1]] = True  # all squares of that image
    rows = np.arange(len(pixels))
    return from_arrays(
        f"folder:{folder}",
        np.stack(pixels),
        np.array(labels, dtype=np.int64) if labelled else None,
        rows[~is_test],
        rows[is_test],
        class_names,
        flips_keep_label=False,
        notes=notes,
    )
