"""The denoising tools' model work, run in the latent page's worker (never on the GUI thread).

A sample is a plain spec: {"seed": 3, "label": 7 or None, "guidance": 2.0, "steps": 50}. The
seed's noise is the one the latent page and `image-studio denoise` use for that seed, so the
same seed shows the same picture everywhere. A label of None draws without a class.
Results are typed plain data: Steps (the model's denoising trajectory, uint8 arrays) or a
Comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.latent import decoding
from studio.latent.jobs import EXPORT_SCALE, opened

VARIES = ("steps", "guidance")  # what a comparison changes from column to column


@dataclass(frozen=True)
class Steps:
    """A sample's trajectory (the model's DenoisingTrajectory: `timesteps`, x_t as `noisy`
    and the predicted clean image as `predicted` at every step, `final`; uint8 arrays) and its
    side-by-side frames (noisy | predicted, the finished image last), to show and export."""

    trajectory: Any
    frames: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Comparison:
    """The same seeds (rows) drawn at several step counts or guidance scales (columns)."""

    vary: str  # "steps" or "guidance"
    values: tuple[float, ...]
    images: np.ndarray  # uint8 (rows, columns, H, W, C)
    columns: tuple[np.ndarray, ...]  # each column's images stacked in one picture
    grid: np.ndarray  # the whole comparison as one picture


def _options(state: dict[str, Any], spec: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The labels and keyword arguments of a sampling run for `spec`."""
    import torch

    model = state["model"]
    label = spec.get("label")
    labels = None
    options: dict[str, Any] = {"steps": int(spec["steps"])}
    if label is not None and model.conditional:
        labels = torch.tensor([int(label)])
        options["guidance"] = float(spec["guidance"])
    return labels, options


def trajectory(context, token: int, spec: dict[str, Any]) -> Steps:
    """The sample's noisy x_t and predicted clean image at every step, and the finished image."""
    from models.analysis.latent_map import seed_latent

    state = opened(context, token)
    model = state["model"]
    labels, options = _options(state, spec)
    noise = seed_latent(model, int(spec["seed"]))[None]
    extra = decoding.hooks(context, state)
    steps = decoding.cancellable(
        context, lambda: model.trajectory(noise, labels, **options, **extra)
    )
    return Steps(steps, tuple(steps.side_by_side()))


def comparison(context, token: int, spec: dict[str, Any], vary: str, values: list[float],
               rows: int) -> Comparison:  # fmt: skip
    """Seeds spec["seed"] ... + rows - 1, each drawn once per value of `vary` (the other
    setting as in `spec`); progress counts the steps of all the runs together."""
    import torch

    from models.analysis.latent_map import seed_latent
    from models.data.grids import make_grid, to_uint8

    if vary not in VARIES:
        raise ValueError(f"a comparison varies {' or '.join(VARIES)}, not {vary!r}")
    state = opened(context, token)
    model = state["model"]
    noise = torch.stack([seed_latent(model, int(spec["seed"]) + row) for row in range(rows)])
    runs = []
    for value in values:
        asked = {**spec, vary: int(value) if vary == "steps" else float(value)}
        labels, options = _options(state, asked)
        runs.append((None if labels is None else labels.expand(rows), options))
    total = sum(options["steps"] for _, options in runs)
    columns = []
    done_before = 0
    for labels, options in runs:
        offset = done_before

        def progress(done: int, _steps: int, offset=offset) -> None:
            context.report(offset + done, total)

        extra = {"cancel": lambda: context.cancelled, "progress": progress}
        images = decoding.cancellable(
            context, lambda labels=labels, options=options, extra=extra: model.decode(
                noise, labels, **options, **extra)
        )  # fmt: skip
        columns.append(to_uint8(images))
        done_before += options["steps"]
    images = np.stack(columns, axis=1)
    flat = images.reshape(-1, *images.shape[2:])
    return Comparison(vary, tuple(float(v) for v in values), images,
                      tuple(make_grid(column, columns=1) for column in columns),
                      make_grid(flat, columns=len(values)))  # fmt: skip


def export_trajectory(context, token: int, path: str, frames: list[np.ndarray]) -> dict:
    """The steps as a GIF (a frame per step) or a PNG strip (one row), by the file's suffix;
    enlarged by whole pixels so a small image is visible in a viewer."""
    from models.data.grids import make_grid, save_png
    from models.inference.export import gif_bytes
    from models.runs.atomic import atomic_write_bytes

    target = Path(path)
    scale = np.ones((EXPORT_SCALE, EXPORT_SCALE, 1), np.uint8)
    if target.suffix.lower() == ".gif":
        atomic_write_bytes(target, gif_bytes([np.kron(f, scale) for f in frames],
                                             duration_ms=150))  # fmt: skip
    elif target.suffix.lower() == ".png":
        save_png(target, np.kron(make_grid(np.asarray(frames), columns=len(frames)), scale))
    else:
        raise ValueError(f"{target.name}: choose a file ending in .gif or .png")
    return {"token": token, "path": str(target)}
