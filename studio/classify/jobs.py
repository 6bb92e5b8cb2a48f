"""The Classify panel's model work, run in its ModelTasks thread.

Each job loads what it needs once and keeps it in `context.cache` (the model, the training
features, the test split), keyed by the run folder and its weights' modification time, so a
retrained run is reloaded. Jobs import the engine inside their bodies; they return or yield
plain data and CPU numpy arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

THUMBNAIL_SIZE = 56  # pixels; the table shows files at this size
STREAM_BATCH = 64  # files per streamed batch: rows appear early, one GUI update per batch


@dataclass(frozen=True)
class ClassifierInfo:
    """What the panel shows about the chosen classifier."""

    run_dir: str
    name: str
    title: str
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int]
    background: float | None
    dataset: str
    # Share of each training target spread over the other classes: it caps the probability a
    # clean image gets (the page says so), 0 when the model trained without it.
    label_smoothing: float = 0.0


def _classifier(context, run_dir: str) -> dict[str, Any]:
    from models.kinds.description import CLASSIFIER
    from models.runs.folder import Run
    from models.runs.open_model import check_role, open_model

    run = Run.open(run_dir)
    config = run.config
    # The kind first: a generative run still training would otherwise be told to wait for
    # weights that will never classify anything.
    check_role(run, CLASSIFIER)
    try:
        stamp = run.weights_path.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = None  # open_model says the run has no weights yet
    cached = context.cache.get("classifier")
    if cached is not None and stamp is not None and cached["key"] == (str(run.path), stamp):
        return cached
    model = open_model(run, CLASSIFIER)
    info = ClassifierInfo(
        run_dir=str(run.path),
        name=run.name,
        title=model.title,
        class_names=tuple(model.class_names),
        image_shape=tuple(model.image_shape),
        background=config["dataset"].get("background"),
        dataset=config["dataset"]["name"],
        label_smoothing=float(getattr(model.config, "label_smoothing", 0.0) or 0.0),
    )
    context.cache.clear()  # the previous run's features and test split go with its model
    context.cache["classifier"] = {"key": (str(run.path), stamp), "model": model, "info": info}
    return context.cache["classifier"]


def open_classifier(context, run_dir: str) -> ClassifierInfo:
    """Load (or find loaded) the run's classifier; refuse a run that does not classify."""
    return _classifier(context, run_dir)["info"]


@dataclass(frozen=True)
class FilesFound:
    """How many files a drop expanded to: the progress bar's length, said before any row."""

    count: int


@dataclass(frozen=True)
class ResultRows:
    """The results of one batch of files (models/inference/file_results.py FileResult)."""

    rows: list


def classify_paths(context, run_dir: str, paths: list[str], top_k: int):
    """Stream FilesFound once, then ResultRows per batch of files."""
    from models.inference.classify import classify_file_batches, expand_paths

    entry = _classifier(context, run_dir)
    files = expand_paths(paths)
    yield FilesFound(len(files))
    yield from (
        ResultRows(batch)
        for batch in classify_file_batches(
            entry["model"], files, top_k=top_k, batch_size=STREAM_BATCH,
            should_stop=lambda: context.cancelled, background=entry["info"].background,
            thumbnail_size=THUMBNAIL_SIZE,
        )
    )  # fmt: skip


def classify_pasted(context, run_dir: str, pictures: list[tuple[str, np.ndarray]], top_k: int):
    """Pictures from the clipboard, as uint8 RGBA arrays read on the GUI thread."""
    from PIL import Image

    from models.inference.classify import classify_pictures

    entry = _classifier(context, run_dir)
    yield FilesFound(len(pictures))
    images = [(name, Image.fromarray(pixels, mode="RGBA")) for name, pixels in pictures]
    yield ResultRows(
        classify_pictures(
            entry["model"], images, top_k=top_k, background=entry["info"].background,
            thumbnail_size=THUMBNAIL_SIZE,
        )
    )  # fmt: skip


def _dataset(context, entry: dict[str, Any]):
    from models.data.datasets import load_dataset

    if "dataset" not in context.cache:
        context.cache["dataset"] = load_dataset(
            entry["info"].dataset, should_stop=lambda: context.cancelled
        )
    return context.cache["dataset"]


@dataclass(frozen=True)
class Neighbours:
    """The training images nearest to one input in the classifier's feature space."""

    key: str  # the row they belong to
    images: np.ndarray  # uint8 (k, H, W, C)
    labels: tuple[str, ...]
    similarities: tuple[float, ...]


def nearest_training(context, run_dir: str, key: str, pixels: np.ndarray, k: int = 3):
    import torch

    from models.analysis.evaluation import feature_matrix, nearest

    entry = _classifier(context, run_dir)
    dataset = _dataset(context, entry)
    model = entry["model"]
    if "train_features" not in context.cache:
        train_images, _ = dataset.split("train")
        context.cache["train_features"] = feature_matrix(
            model, train_images, should_stop=lambda: context.cancelled
        )
    query = torch.from_numpy(pixels).permute(2, 0, 1)[None].contiguous()
    index, similarity = nearest(context.cache["train_features"], feature_matrix(model, query)[0], k)
    images, labels = dataset.split("train")
    chosen = images[torch.from_numpy(index)].permute(0, 2, 3, 1).contiguous().numpy()
    names = dataset.info.class_names
    found = ()
    if labels is not None:
        found = tuple(names[int(c)] for c in labels[torch.from_numpy(index)])
    return Neighbours(key, chosen, found, tuple(float(s) for s in similarity))


@dataclass(frozen=True)
class TestSetResult:
    """A TestEvaluation and the test images, as the gallery shows them."""

    run_name: str
    evaluation: Any  # models.analysis.evaluation.TestEvaluation (plain numpy inside)
    images: np.ndarray  # uint8 (N, H, W, C)


def evaluate_test_split(context, run_dir: str) -> TestSetResult:
    from models.analysis.evaluation import EvaluationStopped, evaluate_test_set

    entry = _classifier(context, run_dir)
    dataset = _dataset(context, entry)
    images, labels = dataset.split("test")
    if labels is None or images.shape[0] == 0:
        raise ValueError(f"{entry['info'].dataset} has no labelled test images to evaluate on")
    try:
        evaluation = evaluate_test_set(
            entry["model"], images, labels, should_stop=lambda: context.cancelled
        )
    except EvaluationStopped:
        context.check()
        raise
    return TestSetResult(
        entry["info"].name, evaluation, images.permute(0, 2, 3, 1).contiguous().numpy()
    )


@dataclass(frozen=True)
class Explanation:
    """Where the classifier looked in one input: the input with its heat map blended."""

    key: str  # the row it belongs to
    overlay: np.ndarray  # uint8 (H, W, 3)
    method: str  # e.g. "Grad-CAM"


def explain_row(context, run_dir: str, key: str, pixels: np.ndarray) -> Explanation:
    from models.inference.explain import explain_pixels, method, overlay

    model = _classifier(context, run_dir)["model"]
    heat = explain_pixels(model, [pixels])[0]
    return Explanation(key, overlay(pixels, heat), method(model))
