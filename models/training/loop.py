"""One training session of a run, from its saved step to the planned end or a stop: the
steps, batched loss reports, sample grids, evaluations, checkpoints, pauses and the share of
the CPU. `Trainer` (models/training/trainer.py) sets it up and drives it."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import torch

from models.analysis.quality.monitor import QualityMonitor
from models.data.datasets import DatasetError, ImageDataset
from models.kinds.base import ImageModel
from models.runs.checkpoint import NonFiniteWeights, is_disk_full, save_checkpoint
from models.runs.folder import Run
from models.training import reports
from models.training.control import RunControl
from models.training.cpu_share import CoreShare, sharing_enabled
from models.training.devices import describe_device, rng_state, set_rng_state
from models.training.distributed import Plan, World
from models.training.previews import Previews

REPORT_INTERVAL = 0.1  # seconds between loss reports: at most ~10 a second
CHECKPOINT_INTERVAL = 120.0  # seconds of training between checkpoints inside a long epoch
# Epochs shorter than this do not each write a checkpoint (a stop, the end of the run and a
# long epoch still do): the default VAE's epoch lasts 0.7 s on two CPU cores, and a
# checkpoint after each cost it 1.5 % of its speed for a resume point nobody needs.
MIN_CHECKPOINT_GAP = 5.0
NONFINITE_PATIENCE = 5  # non-finite losses in a row before the run pauses
# torch's thread count as the process started: a run sharing the CPU lowers it for a while,
# and each OS thread keeps the count it first saw, so "the machine's share" starts from this.
ALL_THREADS = torch.get_num_threads()


class Loop:
    """One training session of a run: from its saved step to the planned end or a stop."""

    def __init__(self, run: Run, model: ImageModel, dataset: ImageDataset, state: dict,
                 control: RunControl, plan: Plan | None = None):  # fmt: skip
        self.run_folder = run
        self.model = model
        self.dataset = dataset
        self.control = control
        config = run.config
        self.training = config["training"]
        self.seed = int(self.training["seed"])
        # Under torchrun each process takes its share of each step's batch (distributed.py).
        batch_size = int(config["hyperparameters"]["batch_size"])
        self.plan = plan or Plan(World(), self.training, batch_size)
        self.world = self.plan.world
        self.batch_size = self.plan.global_batch
        if self.batch_size > dataset.num_train:
            raise DatasetError(
                f"batch size {self.batch_size} is larger than the "
                f"{dataset.num_train} training images; lower batch_size"
            )
        self.steps_per_epoch = dataset.steps_per_epoch(self.plan.rank_batch, self.world.size)
        self.total_steps = int(self.training["epochs"]) * self.steps_per_epoch
        self.sample_every = max(1, int(self.training.get("sample_every", 100)))
        self.step = int(state["step"])
        self.elapsed_before = float(state.get("elapsed", 0.0))
        self.state = state
        self.nonfinite_in_row = int(state.get("nonfinite_in_row", 0))
        # The step of the run's last checkpoint: the one resumed from, then this session's.
        self.saved_step: int | None = None if state.get("fresh") else self.step
        self.disk_full_at: int | None = None  # the step whose checkpoint a full disk refused
        self.best: dict[str, Any] | None = run.status().get("best")
        self.previews = Previews(run, model, dataset, self.seed, control)
        self.pending: list[dict[str, Any]] = []

    # --- pieces -------------------------------------------------------------------------
    def elapsed(self) -> float:
        return self.elapsed_before + (time.perf_counter() - self.session_start - self.paused_for)

    def losses_report(self, force: bool = False) -> reports.Losses | None:
        now = time.perf_counter()
        if not self.pending or (not force and now - self.last_report < REPORT_INTERVAL):
            return None
        self.run_folder.append_metrics(self.pending)  # a QuietRun's append writes nothing
        steps = [r["step"] for r in self.pending]
        names = [k for k in self.pending[-1] if k not in ("step", "epoch", "time")]
        values = {k: [r.get(k, math.nan) for r in self.pending] for k in names}
        window = max(now - self.last_report, 1e-9)
        images_per_second = len(self.pending) * self.batch_size / window
        self.rate = (
            images_per_second if self.rate is None else 0.7 * self.rate + 0.3 * images_per_second
        )
        remaining = (self.total_steps - self.step) * self.batch_size
        eta = remaining / self.rate if self.rate else None
        self.pending = []
        self.last_report = now
        return reports.Losses(
            steps, values, self.step // self.steps_per_epoch, self.step, self.total_steps,
            self.elapsed(), self.rate, eta,
        )  # fmt: skip

    def flush(self) -> Iterator[reports.Report]:
        report = self.losses_report(force=True)
        if report is not None:
            yield report

    def samples(self) -> reports.Samples | None:
        return self.previews.draw(self.step) if self.world.writes else None

    def evaluate(self) -> reports.Evaluation:
        self.model.train_mode(False)
        metrics = self.model.evaluate(self.dataset.test_batches())
        self.model.train_mode(True)
        epoch = self.step // self.steps_per_epoch
        record = {"step": self.step, "epoch": epoch, "time": round(self.elapsed(), 3),
                  "split": "test", **metrics}  # fmt: skip
        self.run_folder.append_metrics([record])
        metric = self.model.primary_metric
        value = metrics.get(metric.name)
        if value is not None and math.isfinite(value):
            better = self.best is None or (
                value > self.best["value"]
                if metric.higher_is_better
                else value < self.best["value"]
            )
            if better:
                self.best = {"name": metric.name, "value": value, "step": self.step}
        return reports.Evaluation(self.step, epoch, metrics)

    def checkpoint(self) -> Iterator[reports.Report]:
        """Save a checkpoint, except of non-finite weights (the last good one stays) or on a
        full disk (the previous one stays, and the run pauses until there is space again)."""
        if not self.world.writes:  # process 0 writes the checkpoint of all
            self.saved_step = self.step
            return
        state = {
            "step": self.step,
            "elapsed": self.elapsed(),
            "rng": rng_state(self.model.device),
            "nonfinite_in_row": self.nonfinite_in_row,
        }
        self.last_checkpoint = time.perf_counter()
        try:
            save_checkpoint(self.run_folder, self.model, state)
        except NonFiniteWeights as exc:
            yield reports.Notice("warning", f"{exc}: {self.kept()}")
            return
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self.disk_full_at = self.step
            yield reports.Notice(
                "error",
                f"disk full: the checkpoint of step {self.step} could not be written and "
                f"{self.kept()}; training is paused: free some space, then resume",
            )
            self.control.pause()
            return
        self.saved_step = self.step
        self.disk_full_at = None
        self.write_status("running")
        yield reports.Checkpoint(self.step, str(self.run_folder.weights_path))

    def kept(self) -> str:
        if self.saved_step is None:
            return "the run has no checkpoint yet"
        return f"the checkpoint of step {self.saved_step} is kept"

    def write_status(self, state: str, message: str = "") -> None:
        try:
            self.run_folder.write_status(
                state, step=self.step, epoch=self.step // self.steps_per_epoch,
                total_steps=self.total_steps, best=self.best, message=message,
                elapsed=round(self.elapsed(), 3),
            )  # fmt: skip
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            # The status is written again at the next chance; a full disk is reported (and
            # the run paused) by the checkpoint that needs the space.

    def wait_while_paused(self) -> Iterator[reports.Report]:
        control = self.control
        if not control.held:
            return
        yield from self.flush()
        self.write_status("paused")
        yield reports.StateChanged("paused", step=self.step)
        began = time.perf_counter()
        control.wait_while_paused()
        self.paused_for += time.perf_counter() - began
        if not control.stopping:
            self.nonfinite_in_row = 0
            self.last_report = time.perf_counter()
            self.write_status("running")
            yield reports.StateChanged("running", step=self.step)

    def record(self, losses: dict[str, float]) -> Iterator[reports.Report]:
        finite = all(math.isfinite(v) for v in losses.values())
        self.nonfinite_in_row = 0 if finite else self.nonfinite_in_row + 1
        epoch = (self.step - 1) // self.steps_per_epoch
        self.pending.append({"step": self.step, "epoch": epoch, "time": round(self.elapsed(), 3),
                             **losses})  # fmt: skip
        if self.nonfinite_in_row >= NONFINITE_PATIENCE:
            yield from self.flush()
            message = (
                f"The loss was not a finite number for {self.nonfinite_in_row} steps in a row "
                f"(step {self.step}); training is paused and the last good checkpoint is kept. "
                "Try a lower learning rate (fork the run with new settings) or resume."
            )
            yield reports.Notice("warning", message)
            self.control.pause()

    def share_cores(self) -> Iterator[reports.Report]:
        """Use this run's share of the CPU cores, given the runs training beside it; the
        status is rewritten each time so the others see this run is still training."""
        try:
            threads = self.share.threads()
        except Exception:  # an odd file in the runs folder must never stop the training
            return
        self.write_status("running")
        if threads == torch.get_num_threads():
            return
        torch.set_num_threads(threads)
        others = self.share.others
        if others:
            runs = "run" if others == 1 else "runs"
            message = (f"{others} other training {runs} on this computer: this one uses "
                       f"{threads} of the {self.share.cores} CPU threads")  # fmt: skip
        else:
            message = f"Training alone again: all {threads} CPU threads"
        yield reports.Notice("info", message)
        yield reports.DeviceChanged(describe_device(self.model.device))

    # --- the loop -----------------------------------------------------------------------
    def run(self) -> Iterator[reports.Report]:
        threads_before = torch.get_num_threads()
        try:
            yield from self._run()
        finally:
            torch.set_num_threads(threads_before)

    def _run(self) -> Iterator[reports.Report]:
        model, run = self.model, self.run_folder
        if self.state.get("rng") is not None:
            set_rng_state(model.device, self.state["rng"])
        model.prepare(self.total_steps, self.step)
        if self.state.get("optimizers"):
            model.load_optimizer_state(self.state["optimizers"])
        if not self.state.get("fresh"):
            run.truncate_metrics_after(self.step)
        model.train_mode(True)
        self.session_start = time.perf_counter()
        self.paused_for = 0.0
        self.last_report = self.last_checkpoint = self.session_start
        self.rate: float | None = None
        self.share = None
        self.quality = QualityMonitor(run, model, self.dataset, lambda: self.control.stopping,
                                      self.elapsed, self.steps_per_epoch)  # fmt: skip
        if model.device.type == "cpu" and sharing_enabled() and not self.world.distributed:
            # Before Started, so the device it names has this run's share of the threads.
            self.share = CoreShare(run.path.parent, ALL_THREADS)
            yield from self.share_cores()
        yield reports.Started(
            str(run.path), run.config, describe_device(model.device), self.total_steps,
            self.steps_per_epoch, self.step,
        )  # fmt: skip
        self.write_status("running")
        yield reports.StateChanged("running", step=self.step)
        if self.state.get("fresh"):
            grid = self.samples()
            if grid is not None:
                yield grid

        while self.step < self.total_steps:
            epoch, start = divmod(self.step, self.steps_per_epoch)
            for batch in self.dataset.train_batches(self.plan.rank_batch, self.seed, epoch, start,
                                                    self.world.rank, self.world.size):  # fmt: skip
                yield from self.wait_while_paused()
                if self.control.stopping:
                    yield from self.finish("stopped", "stopped by request")
                    return
                losses = model.train_step(batch)
                self.step += 1
                losses, stop = self.plan.exchange(losses, self.control.stopping, self.step,
                                                  self.kept())  # fmt: skip
                if stop:
                    self.control.stop()  # every process stops before the same step
                yield from self.record(losses)
                report = self.losses_report()
                if report is not None:
                    yield report
                if self.step % self.sample_every == 0:
                    grid = self.samples()
                    if grid is not None:
                        yield grid
                if self.world.writes and self.quality.due(self.step):
                    yield from self.flush()  # the steps before it come first in metrics.jsonl
                    yield from self.quality.measure(self.step)
                if time.perf_counter() - self.last_checkpoint > CHECKPOINT_INTERVAL:
                    yield from self.checkpoint()
                if self.share is not None and self.share.due():
                    yield from self.share_cores()
            yield from self.flush()
            if self.world.writes:
                yield self.evaluate()
            if time.perf_counter() - self.last_checkpoint >= MIN_CHECKPOINT_GAP:
                yield from self.checkpoint()
            else:
                self.write_status("running")  # the progress others follow, without weights
        yield from self.finish("completed", "training finished")

    def finish(self, state: str, message: str) -> Iterator[reports.Report]:
        yield from self.flush()
        if self.step % self.sample_every and self.step > 0:
            grid = self.samples()
            if grid is not None:
                yield grid
        if self.nonfinite_in_row >= NONFINITE_PATIENCE:
            # Stopped while paused for a non-finite loss: the weights since the last good
            # checkpoint are not worth keeping, even where they happen to be finite.
            message = f"{message}; {self.kept()} (the loss was not finite)"
        elif self.saved_step != self.step:
            if self.disk_full_at != self.step:  # not refused a moment ago for lack of space
                yield from self.checkpoint()
            while self.disk_full_at == self.step and not self.control.stopping:
                yield from self.wait_while_paused()  # until there is space again
                if not self.control.stopping:
                    yield from self.checkpoint()
        if self.saved_step != self.step and self.disk_full_at == self.step:
            message = f"{message}; disk full: {self.kept()}"
        self.write_status(state, message)
        yield reports.StateChanged(state, message, step=self.step)
