"""Classifying a person's image files with a trained classifier, and writing the result as CSV.

Every file gets a result: labels and probabilities, or a one-line reason it could not be
classified. Files are decoded with Pillow, stacked with numpy and classified one batch at a
time, so a thousand small PNGs take well under a second of model time. The studio takes the
results a batch at a time (`classify_file_batches`), the command line one at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.data.images import ImageLoadError, LoadedImage, convert_image, is_image_path, load_image
from models.inference.file_results import FileResult, csv_header, csv_row, entropy_bits, write_csv
from models.kinds.base import Capability, CapabilityError, ImageModel

__all__ = [
    "FileResult",
    "border_means",
    "classify_file_batches",
    "classify_files",
    "classify_pictures",
    "csv_header",
    "csv_row",
    "expand_paths",
    "load_or_reason",
    "write_csv",
]

ShouldStop = Callable[[], bool]
INVERTED_STEP = "inverted (its background is the opposite of the training images')"
STRETCHED_STEP = "levels stretched (its strokes and background were too close in brightness)"
# A source of one row: a file path, or an in-memory picture (e.g. pasted) with a display name.
Source = Path | tuple[str, Image.Image]


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Folders become the image files inside them (recursively, sorted); other paths stay as
    given, so a file that is not an image still gets a row saying why it was not classified."""
    expanded: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            # Not only regular files: a FIFO, a link to a device or a link loop named like an
            # image gets its row too, with the reason it cannot be read.
            found = (p for p in path.rglob("*") if is_image_path(p) and not p.is_dir())
            expanded.extend(sorted(found))
        else:
            expanded.append(path)
    return expanded


def border_means(pixels: np.ndarray) -> np.ndarray:
    """Mean border level in [0, 1] of each image in a uint8 (N, H, W, C) stack."""
    n = pixels.shape[0]
    border = np.concatenate(
        [
            pixels[:, 0].reshape(n, -1),
            pixels[:, -1].reshape(n, -1),
            pixels[:, 1:-1, 0].reshape(n, -1),
            pixels[:, 1:-1, -1].reshape(n, -1),
        ],
        axis=1,
    )
    return border.mean(axis=1, dtype=np.float64) / 255.0


# How far from mid-grey the training images' mean border must be for them to have a plain
# background (digits on black: 0.0; a scan on white paper: near 1.0). Photos' borders average
# about 0.5 (CIFAR-10's 0.58), and a dark photo inverted is a different photo, not the same
# one on other paper.
PLAIN_BACKGROUND_MARGIN = 0.3


def has_plain_background(background: float | None) -> bool:
    """Whether files are compared with the training images' background (and inverted or
    stretched to match): only for data drawn on a plain dark or light ground."""
    return background is not None and abs(float(background) - 0.5) >= PLAIN_BACKGROUND_MARGIN


def stretch_levels(pixels: np.ndarray, background: float) -> np.ndarray:
    """Which images of a uint8 (N, H, W, 1) stack need their levels stretched, so that their
    border sits at the training data's background and their brightest stroke at full white.

    A digit drawn in colour (orange on blue, say) becomes grey on grey once converted, while
    the training digits are white on black; stretching is what a person would do by hand.
    Images already near full contrast are left alone.
    """
    low = border_means(pixels) * 255.0
    high = pixels.reshape(pixels.shape[0], -1).max(axis=1).astype(np.float64)
    target = float(background) * 255.0
    spread = high - low
    return (spread > 24) & ((np.abs(low - target) > 40) | (high < 200))


def _stretched(image: np.ndarray) -> np.ndarray:
    low = float(border_means(image[None])[0]) * 255.0
    high = float(image.max())
    scaled = (image.astype(np.float64) - low) * (255.0 / max(high - low, 1.0))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "could not be read"


def load_or_reason(
    source: Source, image_shape: tuple[int, int, int], thumbnail_size: int | None = None
) -> LoadedImage | str:
    """A source in a model's format, or a one-line reason it cannot be used (never raises:
    one bad file costs its own row, not the others'). Also used to reconstruct files."""
    try:
        if isinstance(source, tuple):
            return convert_image(source[1], image_shape, thumbnail_size=thumbnail_size)
        return load_image(source, image_shape, thumbnail_size=thumbnail_size)
    except ImageLoadError as exc:
        return _one_line(str(exc))
    except MemoryError:
        return "not enough memory to decode this image"
    except Exception as exc:  # a decoder bug must cost one row, not the whole batch
        return _one_line(f"could not be read ({type(exc).__name__}: {exc})")


def classify_files(
    model: ImageModel,
    paths: Iterable[str | os.PathLike],
    *,
    top_k: int = 3,
    batch_size: int = 256,
    should_stop: ShouldStop | None = None,
    background: float | None = None,
) -> Iterator[FileResult]:
    """Classify each file, yielding one FileResult per path in input order.

    `background` is the training data's mean border level in [0, 1] (a run's
    config["dataset"]["background"]); when the training images have a plain background
    (has_plain_background), an image whose own border is on the other side of 0.5 is inverted
    first, so a dark digit on white paper is seen like white-on-black
    training digits. `should_stop` is checked between files; when it returns True, the files
    loaded so far are classified and yielded and the rest are left out.
    """
    for batch in classify_file_batches(
        model, paths, top_k=top_k, batch_size=batch_size, should_stop=should_stop,
        background=background,
    ):  # fmt: skip
        yield from batch


def classify_file_batches(
    model: ImageModel,
    paths: Iterable[str | os.PathLike],
    *,
    top_k: int = 3,
    batch_size: int = 256,
    should_stop: ShouldStop | None = None,
    background: float | None = None,
    thumbnail_size: int | None = None,
) -> Iterator[list[FileResult]]:
    """As classify_files, a list of results per batch: a window draws a batch of rows at once
    instead of paying for one update per file. `thumbnail_size` keeps a colour thumbnail."""
    sources = (Path(item) for item in paths)
    yield from _classify_sources(
        model, sources, top_k, batch_size, should_stop, background, thumbnail_size
    )


def classify_pictures(
    model: ImageModel,
    pictures: Sequence[tuple[str, Image.Image]],
    *,
    top_k: int = 3,
    background: float | None = None,
    thumbnail_size: int | None = None,
) -> list[FileResult]:
    """Classify in-memory pictures (e.g. pasted from the clipboard), each with a name for its
    row, through the same conversion and inversion as files."""
    results: list[FileResult] = []
    for batch in _classify_sources(
        model, iter(pictures), top_k, 256, None, background, thumbnail_size
    ):
        results.extend(batch)
    return results


def _classify_sources(
    model: ImageModel,
    sources: Iterator[Source],
    top_k: int,
    batch_size: int,
    should_stop: ShouldStop | None,
    background: float | None,
    thumbnail_size: int | None,
) -> Iterator[list[FileResult]]:
    if not model.can(Capability.CLASSIFY):
        raise CapabilityError(f"a {model.title} does not classify images")
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    batch_size = max(1, int(batch_size))
    image_shape = tuple(model.image_shape)
    pending: list[Source] = []
    for source in sources:
        if should_stop is not None and should_stop():
            break
        pending.append(source)
        if len(pending) >= batch_size:
            yield _classify_batch(model, pending, image_shape, top_k, background, thumbnail_size)
            pending = []
    if pending:
        yield _classify_batch(model, pending, image_shape, top_k, background, thumbnail_size)


def _classify_batch(
    model: ImageModel,
    sources: Sequence[Source],
    image_shape: tuple[int, int, int],
    top_k: int,
    background: float | None,
    thumbnail_size: int | None,
) -> list[FileResult]:
    loaded = [load_or_reason(source, image_shape, thumbnail_size) for source in sources]
    names = model.class_names
    good = [i for i, item in enumerate(loaded) if isinstance(item, LoadedImage)]
    results: dict[int, FileResult] = {}
    if good:
        stack = np.stack([loaded[i].pixels for i in good])  # uint8 (N, H, W, C)
        flip = np.zeros(len(good), dtype=bool)
        stretch = np.zeros(len(good), dtype=bool)
        if has_plain_background(background):
            flip = (border_means(stack) > 0.5) != (float(background) > 0.5)
            if flip.any():
                stack[flip] = 255 - stack[flip]
            if image_shape[0] == 1 and float(background) < 0.5:
                stretch = stretch_levels(stack, background)
                for row in np.flatnonzero(stretch):
                    stack[row] = _stretched(stack[row])
        images = torch.from_numpy(stack).permute(0, 3, 1, 2).float().div_(255.0)
        with torch.inference_mode():
            probs = model.classify(images.to(model.device)).float().cpu()
            k = min(top_k, probs.shape[1])
            top_p, top_i = probs.topk(k, dim=1)
        probs_np = probs.numpy()
        for row, index in enumerate(good):
            item = loaded[index]
            steps = tuple(item.steps) + ((INVERTED_STEP,) if flip[row] else ())
            steps += (STRETCHED_STEP,) if stretch[row] else ()
            results[index] = FileResult(
                _name_of(sources[index]),
                labels=tuple(names[c] if c < len(names) else str(c) for c in top_i[row].tolist()),
                probabilities=tuple(float(p) for p in top_p[row].tolist()),
                inverted=bool(flip[row]),
                steps=steps,
                entropy=entropy_bits(probs_np[row]),
                pixels=stack[row].copy(),
                thumbnail=item.thumbnail,
            )
    return [
        results.get(index) or FileResult(_name_of(sources[index]), reason=item)
        for index, item in enumerate(loaded)
    ]


def _name_of(source: Source) -> str:
    return source[0] if isinstance(source, tuple) else str(source)
