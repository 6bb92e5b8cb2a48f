"""The training loop's quality hook: every so often (models/analysis/quality/schedule.py) it draws
samples from the generator being trained, measures them against the real images, appends a
record of its own to metrics.jsonl and yields a Quality report, with a warning Notice when
the run looks like it is collapsing.

    {"step": 4000, "epoch": 57, "time": 181.2, "quality": {"fid": 3.1, ..., "class_shares":
     [...], "samples": 1000, "seconds": 0.6}}

The loop calls `due(step)` after each step (cheap) and, when it says so, `measure(step)`.
Measuring never changes the training: it draws its own fixed noise and puts the random number
generators back as they were, so a run measured at other moments trains bit for bit alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from models.analysis.quality import reference as references
from models.analysis.quality.collapse import CollapseWatch
from models.analysis.quality.features import MeasurementStopped, describe_images, draw_samples
from models.analysis.quality.measure import QualityResult, RealSet, describe_real, measure
from models.analysis.quality.schedule import Schedule, parse_interval
from models.data.datasets import ImageDataset
from models.kinds.base import Capability, ImageModel
from models.runs.folder import Run, RunError
from models.training import reports
from models.training.devices import rng_state, set_rng_state

SAMPLES = 1000  # samples per measurement while training
NOISE_SEED = 20_190_416  # the same samples' noise at every measurement, for comparable points


class QualityMonitor:
    def __init__(self, run: Run, model: ImageModel, dataset: ImageDataset,
                 should_stop: Callable[[], bool], clock: Callable[[], float],
                 steps_per_epoch: int):  # fmt: skip
        self.run_folder = run
        self.model = model
        self.dataset = dataset
        self.should_stop = should_stop
        self.clock = clock
        self.steps_per_epoch = max(steps_per_epoch, 1)
        config = run.config
        training = config.get("training", {})
        self.dataset_name = str(config.get("dataset", {}).get("name", dataset.name))
        self.named_reference = training.get("quality_reference") or None
        try:
            interval = parse_interval(training.get("quality_every"))
        except ValueError as exc:
            interval = parse_interval(None)
            self.problem_note = f"{exc}; measuring automatically"
        else:
            self.problem_note = ""
        self.active = model.can(Capability.GENERATE) and interval.mode != "off"
        self.schedule = Schedule(interval, clock)
        self.reference: ImageModel | None = None
        self.real: RealSet | None = None
        self.watch: CollapseWatch | None = None
        self.spent = 0.0  # seconds of measurements in this session
        self.setup_seconds = 0.0  # seconds of one-time preparation (reference, real features)

    def due(self, step: int) -> bool:
        return self.active and self.schedule.due(step)

    # --- measuring --------------------------------------------------------------------------
    def measure(self, step: int) -> Iterator[reports.Report]:
        if self.problem_note:
            yield reports.Notice("warning", self.problem_note)
            self.problem_note = ""
        began = time.perf_counter()
        try:
            if self.real is None:
                ready = yield from self._prepare(step)
                if not ready:
                    return
            prepared = time.perf_counter()
            result = self._measure_samples(step)
        except MeasurementStopped:
            return  # the loop sees the stop next and finishes; nothing half-measured is kept
        except (ValueError, RuntimeError) as exc:
            # Samples a measure cannot digest (a diverged generator's NaNs) cost one point of
            # the curves, never the run; the next try waits as after a measurement.
            self.schedule.measured(time.perf_counter() - began)
            yield reports.Notice("warning", f"Quality at step {step} could not be measured: {exc}")
            return
        ended = time.perf_counter()
        cost = ended - prepared
        self.setup_seconds += prepared - began
        self.spent += ended - began
        self.schedule.measured(cost)
        yield from self._publish(step, result, cost)

    def _measure_samples(self, step: int) -> QualityResult:
        model, device = self.model, self.model.device
        saved_rng = rng_state(device)
        model.train_mode(False)
        try:
            noise = torch.Generator().manual_seed(NOISE_SEED)
            images = draw_samples(model, SAMPLES, noise, should_stop=self.should_stop)
        finally:
            model.train_mode(True)
            set_rng_state(device, saved_rng)
        fake = describe_images(self.reference, images, self.should_stop)
        return measure(self.real, fake, seed=step)

    def _publish(self, step: int, result: QualityResult, cost: float) -> Iterator[reports.Report]:
        epoch = step // self.steps_per_epoch
        elapsed = round(self.clock(), 3)
        warnings = tuple(self.watch.check(step, result.figures, result.class_shares))
        record = {**result.figures, "class_shares": list(result.class_shares),
                  "samples": result.samples, "seconds": round(cost, 4)}  # fmt: skip
        self.run_folder.append_metrics([{"step": step, "epoch": epoch, "time": elapsed,
                                         "quality": record}])  # fmt: skip
        yield reports.Quality(
            step, epoch, elapsed, dict(result.figures), self.real.class_names,
            result.class_shares, result.samples, cost, warnings,
        )  # fmt: skip
        for warning in warnings:
            yield reports.Notice("warning", warning)

    # --- the one-time preparation -----------------------------------------------------------
    def _prepare(self, step: int) -> Iterator[reports.Report]:
        """Find (or train) the reference and describe the real images; False when quality
        cannot be measured in this run (said once) or a stop came first."""
        if self.dataset.train_labels is None:
            yield from self._give_up("its dataset has no classes to train a reference "
                                     "classifier on")  # fmt: skip
            return False
        device = self.model.device
        if self.named_reference:
            try:
                self.reference = references.open_classifier(
                    Path(self.named_reference), self.dataset_name, device
                )
            except (RunError, OSError, ValueError) as exc:
                yield from self._give_up(f"the reference classifier cannot be used: {exc}")
                return False
        else:
            try:
                self.reference = yield from references.ensure_reference(
                    self.run_folder.path.parent, self.dataset_name, device, self.should_stop
                )
            except (RunError, OSError, ValueError) as exc:
                yield from self._give_up(str(exc))
                return False
            if self.reference is None:
                return False  # stopped while the reference trained
        if tuple(self.reference.class_names) != tuple(self.dataset.info.class_names):
            yield from self._give_up("the reference classifier knows other classes than the "
                                     "run's dataset")  # fmt: skip
            return False
        self.real = describe_real(self.reference, self.dataset.train_images, self.should_stop)
        best, best_step = self._best_recall(step)
        self.watch = CollapseWatch(self.real.class_names, best, best_step)
        return True

    def _give_up(self, reason: str) -> Iterator[reports.Report]:
        self.active = False
        yield reports.Notice("info", f"Quality figures are not measured for this run: {reason}")

    def _best_recall(self, step: int) -> tuple[float | None, int | None]:
        """The best recall this run measured before `step` (a resumed run remembers it)."""
        records, _ = self.run_folder.read_metrics()
        best, best_step = None, None
        for record in records:
            quality = record.get("quality")
            if not isinstance(quality, dict) or record.get("step", 0) > step:
                continue
            recall = quality.get("recall")
            if isinstance(recall, (int, float)) and (best is None or recall > best):
                best, best_step = float(recall), int(record.get("step", 0))
        return best, best_step
