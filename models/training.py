"""Trainer.run() is a generator of reports: it loads the data, creates or reopens the run and
its model, then drives a training session (models/training_loop.py) that samples, evaluates
and checkpoints, and can be paused, resumed and stopped between steps from another thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from models import reports
from models.checkpoint import build_model, load_model, load_state
from models.data import DatasetError, ImageDataset, LoadCancelled, load_dataset
from models.devices import resolve_device
from models.hyperparameters import apply_overrides, config_to_dict
from models.paths import default_runs_dir
from models.registry import model_class
from models.runs import Run, RunError, versions
from models.training_loop import REPORT_INTERVAL, Loop


@dataclass
class TrainRequest:
    """Everything a person chooses before pressing Train."""

    kind: str
    dataset: str = "mnist-5k"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    epochs: int = 10
    seed: int = 0
    device: str = "auto"
    runs_dir: Path | None = None
    sample_every: int = 100
    fork_from: Path | None = None
    quality_every: str = "auto"  # models/quality/schedule.py; "off" never measures
    quality_reference: str = ""  # a classifier run to measure with; "": the dataset's own


class Trainer:
    def __init__(self, request: TrainRequest | None = None, *, resume: Path | None = None,
                 epochs: int | None = None):  # fmt: skip
        if (request is None) == (resume is None):
            raise ValueError("give either a request or a run to resume")
        self.request = request
        self.resume_path = resume
        self.extra_epochs = epochs
        self.run_folder: Run | None = None
        self._control = threading.Condition()
        self._paused = False
        self._stopping = False

    # --- control from any thread ----------------------------------------------------------
    def pause(self) -> None:
        with self._control:
            self._paused = True

    def resume(self) -> None:
        with self._control:
            self._paused = False
            self._control.notify_all()

    def stop(self) -> None:
        with self._control:
            self._stopping = True
            self._control.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stopping

    # --- the generator --------------------------------------------------------------------
    def run(self) -> Iterator[reports.Report]:
        try:
            yield from self._run()
        except (DatasetError, RunError, LoadCancelled, ValueError) as exc:
            message = str(exc)
            if self.run_folder is not None:
                self.run_folder.write_status("failed", message=message)
            yield reports.Notice("error", message)
            yield reports.StateChanged("failed", message)
        except Exception as exc:
            if self.run_folder is not None:
                self.run_folder.write_status("failed", message=f"{type(exc).__name__}: {exc}")
            raise

    def _run(self) -> Iterator[reports.Report]:
        if self.resume_path is not None:
            self.run_folder = Run.open(self.resume_path)
            config = self.run_folder.config
            if self.extra_epochs:
                config["training"]["epochs"] = self.extra_epochs
                self.run_folder.update_config(training=config["training"])
            dataset_name = config["dataset"]["name"]
            device = resolve_device(config["training"].get("device", "auto"))
        else:
            request = self.request
            model_class(request.kind)  # unknown kinds fail before any data is loaded
            dataset_name = request.dataset
            device = resolve_device(request.device)

        dataset = yield from self._load(dataset_name)
        if dataset is None:
            yield reports.StateChanged("stopped", "stopped while loading data")
            return
        dataset = dataset.to(device)

        if self.resume_path is not None:
            run, model, state = self._restore(device)
        else:
            run, model, state = self._create(dataset, device)
        yield from Loop(run, model, dataset, state, self).run()

    def _load(self, name: str) -> Iterator[reports.Report]:
        """Load in a helper thread so progress can be reported and a stop honoured."""
        progress: list[tuple[int, int, str]] = []
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["dataset"] = load_dataset(
                    name,
                    progress=lambda d, t, w: progress.append((d, t, w)),
                    should_stop=lambda: self._stopping,
                )
            except BaseException as exc:
                result["error"] = exc

        thread = threading.Thread(target=work, name="load-dataset", daemon=True)
        thread.start()
        yield reports.Loading(f"loading {name}", 0, 0)
        while thread.is_alive():
            thread.join(REPORT_INTERVAL)
            if progress:
                done, total, what = progress[-1]
                yield reports.Loading(what, done, total)
        if isinstance(result.get("error"), LoadCancelled):
            return None
        if "error" in result:
            raise result["error"]
        return result["dataset"]

    def _create(self, dataset: ImageDataset, device: torch.device):
        request = self.request
        cls = model_class(request.kind)
        if cls.needs_labels and dataset.train_labels is None:
            raise DatasetError(
                f"a {cls.title} needs labelled images: put each class in its own sub-folder"
            )
        hyper = apply_overrides(cls.config_class, request.hyperparameters)
        config = {
            "kind": request.kind,
            "dataset": {**dataset.describe(), "pixel_mean": dataset.info.pixel_mean},
            "hyperparameters": config_to_dict(hyper),
            "training": {
                "epochs": request.epochs,
                "seed": request.seed,
                "device": request.device,
                "sample_every": request.sample_every,
                "quality_every": request.quality_every,
                "quality_reference": request.quality_reference,
            },
            "device": str(device),
            "versions": versions(),
        }
        parent = None
        if request.fork_from is not None:
            parent = Run.open(request.fork_from)
            if parent.kind != request.kind:
                raise RunError(f"cannot fork a {parent.kind} run into a {request.kind} run")
            config["parent"] = parent.name
        torch.manual_seed(request.seed)
        model = build_model(config, device)
        if parent is not None:
            model.load_weights(load_model(parent, device).weights())
        run = Run.create(request.runs_dir or default_runs_dir(), config)
        self.run_folder = run
        return run, model, {"step": 0, "elapsed": 0.0, "fresh": True}

    def _restore(self, device: torch.device):
        run = self.run_folder
        model = load_model(run, device)
        state = load_state(run, device)
        state["fresh"] = False
        return run, model, state
