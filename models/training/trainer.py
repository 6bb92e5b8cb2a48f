"""Trainer.run() is a generator of reports: it loads the data, creates or reopens the run and
its model, then drives a training session (models/training/loop.py) that samples, evaluates
and checkpoints, and can be paused, resumed and stopped between steps from another thread."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from models.data.datasets import DatasetError, ImageDataset, LoadCancelled, load_dataset
from models.kinds.hyperparameters import apply_overrides, config_to_dict
from models.kinds.registry import model_class
from models.runs.checkpoint import build_model, load_model
from models.runs.folder import Run, RunDeleted, RunError, versions
from models.runs.lock import RunLock
from models.runs.paths import default_runs_dir
from models.runs.resume import fresh_state, hold_for_training, restored_model, saved_state
from models.training import reports
from models.training.control import RunControl
from models.training.devices import resolve_device
from models.training.distributed import (
    Plan,
    join,
    launched_world,
    leave,
    process_device,
    scaled_config,
    share_networks,
)
from models.training.loop import REPORT_INTERVAL, Loop
from models.training.quiet_run import QuietRun


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
    quality_every: str = "auto"  # models/analysis/quality/schedule.py; "off" never measures
    quality_reference: str = ""  # a classifier run to measure with; "": the dataset's own
    # Under torchrun (models/training/distributed.py): batch_size is split between the
    # processes unless each takes a whole one, and how the learning rate follows.
    per_process_batch: bool = False
    lr_scaling: str = "none"


class Trainer:
    def __init__(self, request: TrainRequest | None = None, *, resume: Path | None = None,
                 epochs: int | None = None):  # fmt: skip
        if (request is None) == (resume is None):
            raise ValueError("give either a request or a run to resume")
        self.request = request
        self.resume_path = resume
        self.extra_epochs = epochs
        self.run_folder: Run | None = None  # set once this process holds the run's lock
        self._lock: RunLock | None = None
        self.control = RunControl()
        self.world = launched_world()  # process 0 of 1 unless torchrun started this one
        self.plan: Plan | None = None

    # --- control from any thread ----------------------------------------------------------
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        if self.world.distributed and self.plan is not None and not self.control.held:
            # Agreed with the other processes at the next step; a pause (a non-finite loss,
            # seen by all of them in the averaged losses) is ended at once, as in all of them.
            self.plan.request_stop()
        else:
            self.control.stop()

    @property
    def stopping(self) -> bool:
        return self.control.stopping

    # --- the generator --------------------------------------------------------------------
    def run(self) -> Iterator[reports.Report]:
        cleanly = False
        try:
            yield from self._run()
            cleanly = True
        except (DatasetError, RunError, LoadCancelled, ValueError) as exc:
            message = str(exc)
            self._write_failed(message)
            yield reports.Notice("error", message)
            yield reports.StateChanged("failed", message)
        except FileNotFoundError:
            if self.run_folder is None or self.run_folder.path.is_dir():
                raise
            message = str(RunDeleted(self.run_folder.path))  # a write found the folder gone
            yield reports.Notice("error", message)
            yield reports.StateChanged("failed", message)
        except Exception as exc:
            self._write_failed(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if self._lock is not None:
                self._lock.release()
            leave(self.world, cleanly)

    def _write_failed(self, message: str) -> None:
        """Only into a run this process holds (never over another trainer's status), and
        never into a deleted run folder, which would bring it back."""
        if self.run_folder is not None and self.run_folder.path.is_dir():
            with contextlib.suppress(RunError, OSError):
                self.run_folder.write_status("failed", message=message)

    def _hold(self, run: Run) -> None:
        self._lock = hold_for_training(run)
        self.run_folder = run

    def _run(self) -> Iterator[reports.Report]:
        resumed_state = None
        if self.resume_path is not None:
            if self.extra_epochs is not None and self.extra_epochs < 1:
                raise ValueError(f"epochs must be at least 1, not {self.extra_epochs}")
            opened = Run.open(self.resume_path)
            config = opened.config
            device = self._joined(config["training"].get("device", "auto"))
            if self.world.writes:
                self._hold(opened)
            # The others read the checkpoint once process 0 has tidied the folder, and never
            # write it (one process resumes on any number).
            self.world.barrier()
            run = opened if self.world.writes else QuietRun(config, opened.path)
            # Checked before config.json changes: a run that cannot resume stays as it was.
            resumed_state = saved_state(opened, device)
            if self.extra_epochs is not None:
                config["training"]["epochs"] = self.extra_epochs
                run.update_config(training=config["training"])
            dataset_name = config["dataset"]["name"]
            # A folder comes back at the side the run was trained at, as its config recorded.
            folder_side = None
            if model_class(config["kind"]).folder_image_side is not None:
                folder_side = int(config["dataset"]["image_shape"][-1])
        else:
            request = self.request
            # Unknown kinds fail before any data is loaded.
            folder_side = model_class(request.kind).folder_image_side
            dataset_name = request.dataset
            device = self._joined(request.device)

        dataset = yield from self._load(dataset_name, folder_side)
        if dataset is None:
            yield reports.StateChanged("stopped", "stopped while loading data")
            return
        dataset = dataset.to(device)

        if self.resume_path is not None:
            model = restored_model(opened, resumed_state, device)
            if resumed_state is not None:
                state = resumed_state
            else:
                state = fresh_state(run) if self.world.writes else {"step": 0, "fresh": True}
            plan = self._plan(run.config)
            if plan.lr_factor != 1.0:  # built again with the learning rate this world needs
                weights = model.weights()
                model = build_model(scaled_config(run.config, plan.lr_factor), device)
                model.load_weights(weights)
        else:
            run, model, state = self._create(dataset, device)
        restore = share_networks(model, self.world)
        try:
            yield from Loop(run, model, dataset, state, self.control, self.plan).run()
        finally:
            restore()

    def _joined(self, device_name: str) -> torch.device:
        """The device, after joining the other processes when torchrun started several."""
        device = process_device(self.world, resolve_device(device_name))
        join(self.world, device)
        return device

    def _plan(self, config: dict[str, Any]) -> Plan:
        batch_size = int(config["hyperparameters"]["batch_size"])
        self.plan = Plan(self.world, config["training"], batch_size)
        if self.control.stopping:  # asked before the plan existed
            self.plan.request_stop()
        return self.plan

    def _load(self, name: str, folder_side: int | None) -> Iterator[reports.Report]:
        """Load in a helper thread so progress can be reported and a stop honoured."""
        progress: list[tuple[int, int, str]] = []
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["dataset"] = load_dataset(
                    name,
                    progress=lambda d, t, w: progress.append((d, t, w)),
                    should_stop=lambda: self.control.stopping,
                    folder_side=folder_side,
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
                "distributed": {
                    "processes": self.world.size,
                    "per_process_batch": request.per_process_batch,
                    "lr_scaling": request.lr_scaling,
                },
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
        plan = self._plan(config)
        torch.manual_seed(request.seed)
        model = build_model(scaled_config(config, plan.lr_factor), device)
        if parent is not None:
            model.load_weights(load_model(parent, device).weights())
        if not self.world.writes:  # the same config and model, and no run folder
            return QuietRun(config), model, {"step": 0, "elapsed": 0.0, "fresh": True}
        run = Run.create(request.runs_dir or default_runs_dir(), config)
        self._hold(run)
        return run, model, {"step": 0, "elapsed": 0.0, "fresh": True}
