"""The reference feature network of a dataset: a classifier whose penultimate features and
class probabilities every quality figure is computed from.

The studio trains one per dataset on first need (the default classifier kind, through the
ordinary Trainer, with progress) and keeps it beside the runs in `.reference/<dataset>/`, an
ordinary run folder that `image-studio classify` can open too. It is built in a temporary
folder and renamed into place once finished, so a crash never leaves a half-trained reference
that looks finished; one that does not load is trained again. A person may instead name a
classifier run of their own trained on the same data.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import torch

from models.data.datasets import DatasetError
from models.kinds.base import Capability, ImageModel
from models.kinds.classifier import CNN
from models.kinds.registry import UnknownKind, model_class
from models.runs.checkpoint import load_model
from models.runs.folder import Run, RunError
from models.training import reports

FOLDER = ".reference"
# The default classifier kind, with its own default settings and epochs (about 20 s on two
# CPU cores for the bundled digits, once per dataset). Tests make it tiny.
KIND = CNN.kind
SETTINGS: dict[str, Any] = {}
EPOCHS: int | None = None  # None: the kind's default
SEED = 0

ShouldStop = Callable[[], bool]


def cache_name(dataset: str) -> str:
    """A folder name for a dataset: the built-in names as they are; a folder dataset by its
    last path part and a hash of the whole path, so two folders named alike differ."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", dataset):
        return dataset
    short = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(dataset.removeprefix("folder:")).name)
    digest = hashlib.sha256(dataset.encode()).hexdigest()[:10]
    return f"{short.strip('-')[:40] or 'dataset'}-{digest}"


def reference_path(runs_dir: Path, dataset: str) -> Path:
    return Path(runs_dir) / FOLDER / cache_name(dataset)


def open_classifier(path: Path, dataset: str | None, device: torch.device) -> ImageModel:
    """A classifier run usable as reference for `dataset` (any dataset when None); a RunError
    says why a run is not."""
    run = Run.open(path)
    config = run.config
    try:
        cls = model_class(config["kind"])
        trained_on = config["dataset"]["name"]
    except (UnknownKind, KeyError, TypeError) as exc:
        raise RunError(f"{run.path} is not a usable classifier run ({exc})") from None
    if not cls.capabilities & Capability.CLASSIFY:
        raise RunError(f"{run.name} is a {cls.title} run, which does not classify; name a "
                       "classifier run as the reference")  # fmt: skip
    if dataset is not None and trained_on != dataset:
        raise RunError(f"{run.name} was trained on {trained_on}, not on {dataset}")
    return load_model(run, device)


def open_cached(path: Path, dataset: str, device: torch.device) -> ImageModel:
    state = Run.open(path).status().get("state")
    if state != "completed":
        raise RunError(f"its training did not finish (status {state!r})")
    return open_classifier(path, dataset, device)


def ensure_reference(runs_dir: Path, dataset: str, device: torch.device,
                     should_stop: ShouldStop = lambda: False,
                     ) -> Generator[reports.Report, None, ImageModel | None]:  # fmt: skip
    """The cached reference of `dataset`, trained first when missing or damaged. Yields the
    training's progress as reports; returns None when stopped before it finished."""
    path = reference_path(runs_dir, dataset)
    if path.exists():
        try:
            return open_cached(path, dataset, device)
        except (RunError, OSError, ValueError) as exc:
            yield reports.Notice(
                "warning", f"The reference classifier in {path} cannot be used ({exc}); "
                "training it again",
            )  # fmt: skip
    finished = yield from train_reference(path, dataset, device, should_stop)
    if not finished:
        return None
    return open_cached(path, dataset, device)


def train_reference(path: Path, dataset: str, device: torch.device, should_stop: ShouldStop,
                    ) -> Generator[reports.Report, None, bool]:  # fmt: skip
    """Train the reference of `dataset` into `path`; False when stopped first."""
    # Imported here: the training loop imports the quality monitor, which imports this.
    from models.training.trainer import Trainer, TrainRequest

    cls = model_class(KIND)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".building-{path.name}-", dir=path.parent))
    what = f"training the reference classifier of {dataset} for the quality figures"
    try:
        request = TrainRequest(
            kind=KIND, dataset=dataset, hyperparameters=dict(SETTINGS),
            epochs=EPOCHS or cls.default_epochs, seed=SEED, device=device.type,
            runs_dir=building, sample_every=1 << 30, quality_every="off",
        )  # fmt: skip
        trainer = Trainer(request)
        yield reports.Notice("info", f"Training a {cls.title} on {dataset} once, as the "
                             "reference the quality figures are measured with")  # fmt: skip
        outcome, message = "failed", ""
        for report in trainer.run():
            if should_stop() and not trainer.stopping:
                trainer.stop()
            if isinstance(report, reports.Losses):
                yield reports.Loading(what, report.step, report.total_steps)
            elif isinstance(report, reports.StateChanged):
                outcome, message = report.state, report.message
        if outcome == "stopped":
            return False
        if outcome != "completed" or trainer.run_folder is None:
            raise DatasetError(f"the reference classifier of {dataset} could not be trained: "
                               f"{message or outcome}")  # fmt: skip
        install(trainer.run_folder.path, path)
        accuracy = (Run(path).status().get("best") or {}).get("value")
        score = f" ({accuracy:.1%} test accuracy)" if isinstance(accuracy, float) else ""
        yield reports.Notice("info", f"The reference classifier of {dataset} is ready{score} "
                             f"and kept in {path} for later runs")  # fmt: skip
        return True
    finally:
        shutil.rmtree(building, ignore_errors=True)


def install(built: Path, path: Path) -> None:
    """Rename a finished reference into place; a damaged one there is moved aside first. If
    another process installed one meanwhile, theirs is kept."""
    if path.exists():
        aside = Path(tempfile.mkdtemp(prefix=f".damaged-{path.name}-", dir=path.parent))
        with contextlib.suppress(FileNotFoundError):  # another process moved it first
            os.replace(path, aside / "run")
        shutil.rmtree(aside, ignore_errors=True)
    try:
        os.replace(built, path)
    except OSError:
        if not path.exists():
            raise
