"""The latent explorer's model work, run in its ModelTasks worker (never on the GUI thread).

Every job takes the token of the run it was asked for: the worker keeps one opened run in its
cache, and a job meant for a run that has since been replaced is dropped instead of decoding
with the wrong model. End points travel as plain specs:
{"source": "seed", "seed": 7} (with "label": 3, a conditional model's class 3), {"source": "test",
"index": 12} or {"source": "file", "path": p}.
Everything returned is plain data or CPU numpy arrays (images are uint8 (N, H, W, C)).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from studio.latent import decoding
from studio.workers.model_tasks import JobCancelled

MAP_LIMIT = 2000  # test images put on the map; more only crowds the scatter
MANIFOLD_SIZE = 15  # decoded images per side behind a 2-D latent's scatter
EXPORT_SCALE = 4  # a 28-pixel digit is too small to see in an image viewer at 1:1


def _state(context, token: int) -> dict[str, Any]:
    state = context.cache.get("explorer")
    if state is None or state["token"] != token:
        raise JobCancelled(context.name)  # asked for a run that is no longer open
    return state


def opened(context, token: int) -> dict[str, Any]:
    """The opened run's state in the worker (model, run, description) for the job of another
    tool of the page; a job for a run since replaced is cancelled."""
    return _state(context, token)


def open_run(context, token: int, run_dir: str) -> dict[str, Any]:
    """Load the run's model; refuse kinds without a latent space before reading weights."""
    from models.kinds.base import Capability
    from models.kinds.description import LATENT_SPACE, describe_kind
    from models.kinds.registry import model_class
    from models.runs.folder import Run
    from models.runs.open_model import open_model

    context.cache.pop("explorer", None)
    run = Run.open(run_dir)
    cls = model_class(run.kind)
    model = open_model(run, LATENT_SPACE)
    description = describe_kind(cls)
    context.cache["explorer"] = {"token": token, "model": model, "run": run, "files": {},
                                 "tests": {}, "description": description}  # fmt: skip
    config = model.config
    return {
        "token": token,
        "name": run.name,
        "path": str(run.path),
        "kind": run.kind,
        "title": cls.title,
        "latent_dim": int(model.latent_dim),
        "can_encode": model.can(Capability.ENCODE),
        "class_names": list(model.class_names),
        # A conditional model's latent ends in a one-hot code of these classes.
        "conditional_classes": list(model.class_names) if model.conditional else [],
        "image_shape": tuple(model.image_shape),
        "seed": int(run.config.get("training", {}).get("seed", 0)),
        # What the tools offer follows the description, never the kind's name.
        "latent_layout": description.latent_layout,
        "decode_passes": description.decode_passes,
        # A many-pass decode's defaults (what a decode asked for nothing uses).
        "sampling_steps": int(getattr(config, "sampling_steps", 0) or 0),
        "guidance": float(getattr(config, "guidance", 0.0) or 0.0),
    }


def _test_split(state: dict[str, Any]):
    """The run's test images as floats in [0, 1] and their labels, loaded once."""
    if "test_images" not in state:
        from models.data.datasets import load_dataset

        dataset = load_dataset(state["run"].config["dataset"]["name"])
        images, labels = dataset.split("test")
        state["test_images"] = images[:MAP_LIMIT].float() / 255
        state["test_labels"] = None if labels is None else labels[:MAP_LIMIT]
    return state["test_images"], state["test_labels"]


def _encoded(state: dict[str, Any]) -> dict[str, Any]:
    """The encoded test split (latent means), its per-dimension KL and class means, once."""
    if "encoded" not in state:
        from models.analysis.latent_map import class_means, encode_with_kl

        model = state["model"]
        images, labels = _test_split(state)
        began = time.perf_counter()
        mu, kl = encode_with_kl(model, images)
        encoded = {"latents": mu, "kl": kl, "seconds": time.perf_counter() - began}
        if labels is not None and model.class_names:
            encoded["means"], encoded["counts"] = class_means(
                mu, labels.cpu(), len(model.class_names)
            )
        state["encoded"] = encoded
    return state["encoded"]


def _endpoint(context, state: dict[str, Any], spec: dict[str, Any]):
    from models.analysis.latent_map import seed_latent

    model, source = state["model"], spec["source"]
    if source == "seed":
        latent = seed_latent(model, spec["seed"])
        if spec.get("label") is None or decoding.class_beside_latent(state):
            return latent  # a class beside the latent is asked for at decode time
        import torch

        return model.relabel(latent[None], torch.tensor([int(spec["label"])]))[0]
    if source == "test":
        index = int(spec["index"])
        if not decoding.many_passes(state):
            return _encoded(state)["latents"][index]
        # Inverting the whole split would take minutes: only the image asked for, once.
        if index not in state["tests"]:
            images, _ = _test_split(state)
            state["tests"][index] = decoding.encode(context, state, images[index : index + 1])[0]
        return state["tests"][index]
    if source == "file":
        if spec["path"] not in state["files"]:
            _encode_file(context, state, spec["path"])
        return state["files"][spec["path"]]
    raise ValueError(f"unknown end point {source!r}")


def _encode_file(context, state: dict[str, Any], path: str):
    from models.data.images import load_image

    model = state["model"]
    loaded = load_image(path, model.image_shape)  # ImageLoadError says what is wrong
    latent = decoding.encode(context, state, loaded.tensor()[None])[0]
    state["files"][path] = latent
    return loaded.pixels


def endpoint_file(context, token: int, path: str) -> dict[str, Any]:
    """Encode a dropped file once, so it can be an end point; fails with the file's reason."""
    from models.kinds.base import Capability

    state = _state(context, token)
    if not state["model"].can(Capability.ENCODE):
        title = state["model"].title
        raise ValueError(f"a {title} has no encoder: an image cannot be an end point")
    from models.data.images import ImageLoadError

    try:
        pixels = _encode_file(context, state, path)
    except ImageLoadError as exc:
        raise ValueError(f"{Path(path).name} cannot be an end point: {exc}") from None
    return {"token": token, "path": path, "thumb": pixels}


def test_thumbnails(context, token: int) -> dict[str, Any]:
    """The test images as uint8, for the gallery an end point is picked from."""
    from models.data.grids import to_uint8

    images, labels = _test_split(_state(context, token))
    return {
        "token": token,
        "images": to_uint8(images),
        "labels": None if labels is None else labels.cpu().numpy(),
    }


def analyse(context, token: int) -> dict[str, Any]:
    """Everything the map, the sliders' order and the arithmetic need, in one pass."""
    import torch

    from models.analysis.latent_map import explained_variance, order_by_kl, plane_grid
    from models.analysis.latent_paths import pca_plane, project
    from models.data.grids import make_grid
    from models.kinds.base import Capability

    state = _state(context, token)
    model = state["model"]
    out: dict[str, Any] = {"token": token, "labels": None, "kl": None, "means": False}
    if model.can(Capability.ENCODE):
        encoded = _encoded(state)
        began = time.perf_counter()
        latents = encoded["latents"]
        _, labels = _test_split(state)
        out["labels"] = None if labels is None else labels.cpu().numpy()
        out["thumbs"] = None  # the gallery's thumbnails serve the map's hover too
        if encoded["kl"] is not None:
            out["kl"] = encoded["kl"].numpy()
            out["order"], out["unused"] = order_by_kl(encoded["kl"])
        out["means"] = "means" in encoded
        out["source"] = f"{len(latents)} test images, encoded"
        encode_seconds = encoded["seconds"]
    else:
        # No encoder: show where generated samples sit, from a fixed noise batch so the map
        # is the same each time the run is opened.
        generator = torch.Generator().manual_seed(int(state["run"].config["training"]["seed"]))
        latents = model.make_noise(500, generator)
        began = time.perf_counter()
        out["thumbs"] = decoding.decode(context, state, latents)
        out["source"] = "500 samples from fixed noise"
        if model.conditional:  # coloured by the class each sample was asked for
            out["labels"] = model.latent_classes(latents).numpy()
        encode_seconds = 0.0
    mean, axes = pca_plane(latents)
    points = project(latents, mean, axes)
    state["plane"] = (mean, axes)
    state["plane_points"] = (points, latents)
    out["points"] = points.numpy().astype("float32")
    out["variance"] = explained_variance(latents, axes)
    out["seconds"] = encode_seconds + time.perf_counter() - began
    if model.latent_dim == 2:
        # The plane is the whole latent space: draw what every place of it decodes to.
        low, high = points.min(0).values, points.max(0).values
        pad = 0.1 * (high - low)
        extent = (*(low - pad).tolist(), *(high + pad).tolist())
        tiles = decoding.decode(context, state, plane_grid(mean, axes, extent, MANIFOLD_SIZE))
        out["manifold"] = make_grid(tiles, columns=MANIFOLD_SIZE, padding=0)
        out["manifold_extent"] = extent
    return out


def decode_point(context, token: int, values: list[float]) -> dict[str, Any]:
    import torch

    state = _state(context, token)
    latent = torch.tensor(values, dtype=torch.float32)[None]
    return {"token": token, "image": decoding.decode(context, state, latent)[0]}


def interpolate(context, token: int, start: dict, end: dict, kind: str, steps: int):
    from models.analysis.latent_paths import path
    from models.data.grids import make_grid

    state = _state(context, token)
    latents = path(_endpoint(context, state, start), _endpoint(context, state, end), steps, kind)
    classes = decoding.path_classes(state, start, end, steps)
    frames = decoding.decode(context, state, latents, classes)
    return {"token": token, "frames": frames, "strip": make_grid(frames, columns=steps)}


def corners(context, token: int, specs: list[dict], size: int) -> dict[str, Any]:
    from models.analysis.latent_paths import corner_grid
    from models.data.grids import make_grid

    state = _state(context, token)
    latents = corner_grid(*(_endpoint(context, state, spec) for spec in specs), size)
    images = decoding.decode(context, state, latents, decoding.corner_classes(state, specs, size))
    return {"token": token, "images": images, "grid": make_grid(images, columns=size)}


def traversal_matrix(context, token: int, values: list[float], dims: list[int]):
    import torch

    from models.analysis.latent_map import TRAVERSAL_VALUES, traversal
    from models.data.grids import make_grid

    state = _state(context, token)
    latents = traversal(torch.tensor(values, dtype=torch.float32), dims)
    images = decoding.decode(context, state, latents)
    grid = make_grid(images, columns=len(TRAVERSAL_VALUES))
    values = list(TRAVERSAL_VALUES)  # the columns' labels
    return {"token": token, "images": images, "grid": grid, "dims": dims, "values": values}


def plane_point(context, token: int, x: float, y: float) -> dict[str, Any]:
    """Decode the latent at a point of the map's plane (its PCA plane)."""
    import torch

    from models.analysis.latent_paths import unproject

    state = _state(context, token)
    if "plane" not in state:
        raise ValueError("the map is still being computed")
    mean, axes = state["plane"]
    model = state["model"]
    latent = unproject(torch.tensor([[x, y]], dtype=mean.dtype), mean, axes)
    asked = None
    if model.conditional:
        # The plane's centre blends every class code into a faint average; draw the class of
        # the nearest sample on the map instead.
        points, latents = state["plane_points"]
        nearest = int(torch.cdist(torch.tensor([[x, y]], dtype=points.dtype), points).argmin())
        asked = model.latent_classes(latents[nearest : nearest + 1])
    image = decoding.decode(context, state, latent, asked)[0]
    return {"token": token, "image": image, "x": x, "y": y}


def arithmetic(context, token: int, spec: dict, plus: int, minus: int, scale: float):
    import torch

    from models.analysis.latent_map import add_difference

    state = _state(context, token)
    encoded = _encoded(state)
    if "means" not in encoded:
        raise ValueError("class means need a labelled test split; this run's data has none")
    means = encoded["means"]
    point = _endpoint(context, state, spec)
    result = add_difference(point, means, plus, minus, scale)
    latents = torch.stack([point, result, means[plus], means[minus]])
    images = decoding.decode(context, state, latents)
    return {"token": token, "images": images, "counts": encoded["counts"].tolist()}


def export_strip(context, token: int, path: str, frames) -> dict[str, Any]:
    """A row of frames as a PNG, or as a forward-and-back GIF loop (by the file's suffix)."""
    import numpy as np

    from models.data.grids import make_grid, save_png
    from models.inference.export import gif_bytes
    from models.runs.atomic import atomic_write_bytes

    target = Path(path)
    # Whole-pixel enlargement, the same for both formats: sharp digits a person can see.
    scale = np.ones((EXPORT_SCALE, EXPORT_SCALE, 1), np.uint8)
    if target.suffix.lower() == ".gif":
        atomic_write_bytes(target, gif_bytes([np.kron(f, scale) for f in frames], bounce=True))
    else:
        save_png(target, np.kron(make_grid(np.asarray(frames), columns=len(frames)), scale))
    return {"token": token, "path": str(target)}


def export_image(context, token: int, path: str, image) -> dict[str, Any]:
    from models.data.grids import save_png

    save_png(Path(path), image)
    return {"token": token, "path": str(path)}
