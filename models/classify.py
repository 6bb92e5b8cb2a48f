"""Classifying a person's image files with a trained classifier, and writing the result as CSV.

Every file gets a result: labels and probabilities, or a one-line reason it could not be
classified. Files are decoded with Pillow, stacked with numpy and classified one batch at a
time, so a thousand small PNGs take well under a second of model time.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.atomic import atomic_file
from models.base import Capability, CapabilityError, ImageModel
from models.images import ImageLoadError, LoadedImage, is_image_path, load_image

ShouldStop = Callable[[], bool]
INVERTED_STEP = "inverted (its background is the opposite of the training images')"


@dataclass(frozen=True)
class FileResult:
    """One file's classification, best label first; or the reason it has none."""

    path: str
    labels: tuple[str, ...] = ()
    probabilities: tuple[float, ...] = ()
    reason: str | None = None
    inverted: bool = False
    steps: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def label(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def probability(self) -> float | None:
        return self.probabilities[0] if self.probabilities else None


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Folders become the image files inside them (recursively, sorted); other paths stay as
    given, so a file that is not an image still gets a row saying why it was not classified."""
    expanded: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            expanded.extend(sorted(p for p in path.rglob("*") if is_image_path(p) and p.is_file()))
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


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "could not be read"


def _load(path: Path, image_shape: tuple[int, int, int]) -> LoadedImage | str:
    try:
        return load_image(path, image_shape)
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
    config["dataset"]["background"]); when given, an image whose own border is on the other
    side of 0.5 is inverted first, so a dark digit on white paper is seen like white-on-black
    training digits. `should_stop` is checked between files; when it returns True, the files
    loaded so far are classified and yielded and the rest are left out.
    """
    if not model.can(Capability.CLASSIFY):
        raise CapabilityError(f"a {model.title} does not classify images")
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    batch_size = max(1, int(batch_size))
    image_shape = tuple(model.image_shape)
    names = model.class_names
    pending: list[Path] = []
    for item in paths:
        pending.append(Path(item))
        if len(pending) >= batch_size:
            stopped = yield from _classify_batch(
                model, pending, image_shape, names, top_k, background, should_stop
            )
            pending = []
            if stopped:
                return
    if pending:
        yield from _classify_batch(
            model, pending, image_shape, names, top_k, background, should_stop
        )


def _classify_batch(
    model: ImageModel,
    paths: Sequence[Path],
    image_shape: tuple[int, int, int],
    names: Sequence[str],
    top_k: int,
    background: float | None,
    should_stop: ShouldStop | None,
) -> Iterator[FileResult]:
    """Yield the batch's results in order; return True when should_stop cut it short."""
    loaded: list[LoadedImage | str] = []
    stopped = False
    for path in paths:
        if should_stop is not None and should_stop():
            stopped = True
            break
        loaded.append(_load(path, image_shape))

    good = [i for i, item in enumerate(loaded) if isinstance(item, LoadedImage)]
    labels: dict[int, tuple[str, ...]] = {}
    probabilities: dict[int, tuple[float, ...]] = {}
    inverted: dict[int, bool] = {}
    if good:
        stack = np.stack([loaded[i].pixels for i in good])  # uint8 (N, H, W, C)
        flip = np.zeros(len(good), dtype=bool)
        if background is not None:
            flip = (border_means(stack) > 0.5) != (float(background) > 0.5)
            if flip.any():
                stack[flip] = 255 - stack[flip]
        images = torch.from_numpy(stack).permute(0, 3, 1, 2).float().div_(255.0)
        with torch.inference_mode():
            probs = model.classify(images.to(model.device)).float().cpu()
            k = min(top_k, probs.shape[1])
            top_p, top_i = probs.topk(k, dim=1)
        for row, index in enumerate(good):
            labels[index] = tuple(
                names[c] if c < len(names) else str(c) for c in top_i[row].tolist()
            )
            probabilities[index] = tuple(float(p) for p in top_p[row].tolist())
            inverted[index] = bool(flip[row])

    for index, item in enumerate(loaded):
        path = str(paths[index])
        if isinstance(item, str):
            yield FileResult(path, reason=item)
            continue
        steps = tuple(item.steps) + ((INVERTED_STEP,) if inverted[index] else ())
        yield FileResult(
            path,
            labels=labels[index],
            probabilities=probabilities[index],
            inverted=inverted[index],
            steps=steps,
        )
    return stopped


def csv_header(top_k: int) -> list[str]:
    header = ["path", "label", "probability"]
    for rank in range(2, top_k + 1):
        header += [f"label_{rank}", f"probability_{rank}"]
    return [*header, "reason"]


def csv_row(result: FileResult, top_k: int) -> list[str]:
    row = [result.path]
    for rank in range(top_k):
        if rank < len(result.labels):
            row += [result.labels[rank], f"{result.probabilities[rank]:.4f}"]
        else:
            row += ["", ""]
    return [*row, result.reason or ""]


def write_csv(results: Iterable[FileResult], path: str | os.PathLike, top_k: int = 3) -> int:
    """Write a header and one row per result; the file appears only once complete.

    Returns the number of rows written (not counting the header).
    """
    count = 0
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    with atomic_file(Path(path)) as handle:
        writer.writerow(csv_header(top_k))
        for result in results:
            writer.writerow(csv_row(result, top_k))
            count += 1
            if text.tell() > 1 << 16:
                handle.write(text.getvalue().encode("utf-8"))
                text.seek(0)
                text.truncate()
        handle.write(text.getvalue().encode("utf-8"))
    return count
