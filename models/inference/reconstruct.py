"""Reconstructing a person's image files with a model that encodes: each file through the
encoder and back through the decoder, in input order, a batch at a time.

Files are read as `classify` reads them (the same loader, the same one-line reasons for a
file that cannot be used), so the two commands accept the same files and folders.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.data.grids import to_uint8
from models.data.images import LoadedImage
from models.inference.classify import load_or_reason
from models.kinds.base import Capability, CapabilityError, ImageModel


@dataclass(frozen=True)
class Reconstruction:
    """One file's reconstruction (uint8 (H, W, C)), or the reason it has none."""

    path: str
    pixels: np.ndarray | None = None
    reason: str = ""


def reconstruct_files(
    model: ImageModel, paths: Iterable[str | os.PathLike], *, batch_size: int = 256, **options
) -> Iterator[Reconstruction]:
    """One Reconstruction per path, in input order. `options` go to the model's reconstruct
    (a many-pass kind's steps, cancel and progress)."""
    if not model.can(Capability.ENCODE):
        raise CapabilityError(f"a {model.title} has no encoder, so it cannot reconstruct images")
    pending: list[Path] = []
    for path in paths:
        pending.append(Path(path))
        if len(pending) >= max(1, batch_size):
            yield from _reconstruct_batch(model, pending, options)
            pending = []
    if pending:
        yield from _reconstruct_batch(model, pending, options)


def _reconstruct_batch(model: ImageModel, paths: list[Path], options: dict) -> list[Reconstruction]:
    loaded = [load_or_reason(path, tuple(model.image_shape)) for path in paths]
    good = [i for i, item in enumerate(loaded) if isinstance(item, LoadedImage)]
    copies: dict[int, np.ndarray] = {}
    if good:
        stack = np.stack([loaded[i].pixels for i in good])  # uint8 (N, H, W, C)
        images = torch.from_numpy(stack).permute(0, 3, 1, 2).float().div_(255.0)
        with torch.inference_mode():
            rebuilt = to_uint8(model.reconstruct(images.to(model.device), **options).float().cpu())
        copies = {index: rebuilt[row] for row, index in enumerate(good)}
    return [
        Reconstruction(str(path), pixels=copies[i])
        if i in copies
        else Reconstruction(str(path), reason=str(loaded[i]))
        for i, path in enumerate(paths)
    ]
