"""What classifying one file gives, and the CSV it is exported as.

Kept apart from the classifier itself (and free of torch) so the studio can hold results and
export them on the window's thread without importing the engine.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.runs.atomic import atomic_file


@dataclass(frozen=True)
class FileResult:
    """One file's classification, best label first; or the reason it has none.

    `pixels` is the image exactly as the model was given it (uint8 H x W x C, after
    conversion, resizing and any inversion); `thumbnail` is a small RGB picture of the file as
    the person sees it. `entropy` (bits) of the whole predicted distribution says how unsure
    the model is: 0 for certain, log2(classes) for a blind guess.
    """

    path: str
    labels: tuple[str, ...] = ()
    probabilities: tuple[float, ...] = ()
    reason: str | None = None
    inverted: bool = False
    steps: tuple[str, ...] = ()
    entropy: float | None = None
    pixels: np.ndarray | None = field(default=None, compare=False, repr=False)
    thumbnail: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def label(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def probability(self) -> float | None:
        return self.probabilities[0] if self.probabilities else None


def entropy_bits(probabilities: Sequence[float] | np.ndarray) -> float:
    p = np.asarray(probabilities, dtype=np.float64)
    p = p[p > 0]
    return float(max(0.0, -(p * np.log2(p)).sum()))


def max_entropy_bits(classes: int) -> float:
    return math.log2(classes) if classes > 1 else 1.0


def display_path(text: str | os.PathLike) -> str:
    """A file name as text that can be printed and written as UTF-8. A name that is not UTF-8
    on disk reaches Python with its stray bytes as lone surrogates, which no UTF-8 encoder
    accepts; they are shown as \\xNN escapes instead, so the name is still recognisable."""
    text = os.fspath(text)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no file name's byte became
        data = text.encode("utf-8", "backslashreplace")
    return data.decode("utf-8", "backslashreplace")


def csv_header(top_k: int) -> list[str]:
    header = ["path", "label", "probability"]
    for rank in range(2, top_k + 1):
        header += [f"label_{rank}", f"probability_{rank}"]
    return [*header, "reason"]


def csv_row(result: FileResult, top_k: int) -> list[str]:
    row = [display_path(result.path)]
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
    path = Path(path)
    if path.is_dir():  # else the rename at the end fails naming the temporary file
        raise IsADirectoryError(f"{path} is a folder; choose a file name for the CSV")
    count = 0
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    with atomic_file(path) as handle:
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
