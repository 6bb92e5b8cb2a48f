"""`folder:PATH` datasets: class sub-folders are labels, a flat folder is unlabelled."""

from __future__ import annotations

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


def load_folder(
    folder: Path, progress: Progress | None = None, should_stop: ShouldStop | None = None
) -> ImageDataset:
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

    pixels, labels, rows_test, skipped = [], [], [], []
    resized, converted = Counter(), 0
    for done, path in enumerate(paths):
        if should_stop is not None and should_stop():
            raise LoadCancelled(f"loading {folder} was cancelled")
        if progress is not None and (done % 50 == 0 or done == len(paths) - 1):
            progress(done + 1, len(paths), f"reading {folder.name}")
        relative = path.relative_to(folder).as_posix()
        try:
            loaded = image_files.load_image(path, shape)
        except image_files.ImageLoadError as exc:
            skipped.append(f"{relative}: {exc}")
            continue
        for step in loaded.steps:
            if step.startswith("resized"):
                resized[f"{loaded.original_size[0]}x{loaded.original_size[1]}"] += 1
            elif step.startswith("converted"):
                converted += 1
        pixels.append(loaded.pixels)
        labels.append(class_names.index(relative.split("/")[0]) if labelled else 0)
        rows_test.append(is_test_file(relative))
    if len(pixels) < 2:
        raise DatasetError(f"{folder} has fewer than two usable images")

    notes = []
    for size, count in resized.most_common():
        notes.append(f"resized {count} images from {size} to {shape[2]}x{shape[1]}")
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
        is_test[-1] = True
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
