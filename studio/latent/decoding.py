"""Decoding and encoding for the latent page's jobs, whatever a decode costs.

A kind whose description says a decode takes many network passes (a whole sampling run) is
asked with the job's cancel flag and progress: a long decode shows its steps on the page and
stops at the next step when cancelled. A kind that decodes in one pass is asked as before.

Some conditional kinds carry the class in the latent (a one-hot code at its end, changed with
`relabel`); others take the class beside the latent, at decode time (their latent is pure
noise). For the second sort an end point's class travels as class weights, blended along a
path exactly as the latents are, so a path from a 3 to a 7 asks for a 3 at one end and a 7 at
the other. An end point from an image (inverted without a class) has no class: a path that
starts or ends at one is drawn without classes, so the image's end is its reconstruction.

Runs in the page's worker thread only (torch is imported inside the functions).
"""

from __future__ import annotations

from typing import Any

from studio.workers.model_tasks import JobCancelled


def many_passes(state: dict[str, Any]) -> bool:
    return state["description"].decode_passes == "many"


def hooks(context, state: dict[str, Any]) -> dict[str, Any]:
    """The cancel and progress arguments a many-pass decode or encode takes; none otherwise."""
    if not many_passes(state):
        return {}
    return {"cancel": lambda: context.cancelled, "progress": context.report}


def cancellable(context, call):
    """`call()`, with a many-pass model's SamplingCancelled turned into the job's cancel."""
    from models.kinds.base import SamplingCancelled

    try:
        return call()
    except SamplingCancelled:
        raise JobCancelled(context.name) from None


def decode(context, state: dict[str, Any], latents, labels=None):
    """Images (uint8 (N, H, W, C)) of latents, with the class weights a kind that takes the
    class beside the latent needs (None: as the latent asks, or no class)."""
    from models.data.grids import to_uint8

    model = state["model"]
    extra = hooks(context, state)
    if labels is None:
        images = cancellable(context, lambda: model.decode(latents, **extra))
    else:
        images = cancellable(context, lambda: model.decode(latents, labels, **extra))
    return to_uint8(images)


def encode(context, state: dict[str, Any], images):
    """Latents (CPU float) of images in [0, 1]; a many-pass encoder (an inversion) shows its
    steps and can be cancelled."""
    model = state["model"]
    extra = hooks(context, state)
    return cancellable(context, lambda: model.encode(images, **extra)).float().cpu()


def class_beside_latent(state: dict[str, Any]) -> bool:
    """Whether the model is asked for a class at decode time rather than through its latent."""
    model = state["model"]
    if not model.conditional:
        return False
    if "class_beside_latent" not in state:
        probe = model.make_noise(1)
        state["class_beside_latent"] = model.latent_classes(probe) is None
    return state["class_beside_latent"]


def endpoint_class(state: dict[str, Any], spec: dict[str, Any]) -> int | None:
    """The class an end point asks a class-beside-latent model for: the one chosen, or the one
    its seed picks (seed modulo the classes, as `image-studio denoise` does); an image has
    none."""
    if spec["source"] != "seed":
        return None
    if spec.get("label") is not None:
        return int(spec["label"])
    return int(spec["seed"]) % len(state["model"].class_names)


def _one_hot(state: dict[str, Any], label: int):
    import torch

    weights = torch.zeros(len(state["model"].class_names))
    weights[label] = 1.0
    return weights


def path_classes(state: dict[str, Any], start: dict, end: dict, steps: int):
    """Class weights (steps, K) from the start's class to the end's, or None (no classes)."""
    import torch

    if not class_beside_latent(state):
        return None
    ends = [endpoint_class(state, spec) for spec in (start, end)]
    if None in ends:
        return None
    t = torch.linspace(0, 1, steps)[:, None]
    first, last = (_one_hot(state, label) for label in ends)
    return (1 - t) * first + t * last


def corner_classes(state: dict[str, Any], specs: list[dict], size: int):
    """Class weights (size * size, K) blended between the four corners', or None."""
    from models.analysis.latent_paths import corner_grid

    if not class_beside_latent(state):
        return None
    labels = [endpoint_class(state, spec) for spec in specs]
    if None in labels:
        return None
    return corner_grid(*(_one_hot(state, label) for label in labels), size)


def point_classes(state: dict[str, Any], spec: dict, count: int):
    """The end point's class for `count` images, or None."""
    import torch

    if not class_beside_latent(state):
        return None
    label = endpoint_class(state, spec)
    return None if label is None else torch.full((count,), label)
