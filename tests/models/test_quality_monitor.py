"""The quality monitor in the training loop: when it measures, what it writes and reports,
the collapse warnings, and that it neither changes the training nor delays a stop."""

import pytest
import torch

from models.analysis.quality import monitor as monitor_module
from models.analysis.quality.collapse import CollapseWatch
from models.analysis.quality.figures import NAMES
from models.analysis.quality.monitor import QualityMonitor
from models.analysis.quality.schedule import (
    FIRST_AFTER,
    FIRST_STEPS,
    MIN_GAP,
    Schedule,
    parse_interval,
)
from models.data.datasets import load_mnist_5k
from models.kinds.base import Capability
from models.kinds.gan import DCGAN
from models.runs.folder import Run
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from tests.models.conftest import TINY
from tests.models.quality_fixtures import (  # noqa: F401 - fixtures
    install_reference,
    quick_quality,
    tiny_reference_fixture,
)


def test_interval_setting():
    assert parse_interval(None).mode == parse_interval("auto").mode == "auto"
    assert parse_interval("500") == parse_interval(500) == parse_interval(" 500 ")
    assert parse_interval("500").mode == "steps" and parse_interval("500").every == 500
    assert parse_interval("30s").every == 30 and parse_interval("2m").every == 120
    assert parse_interval("off").mode == parse_interval("0").mode == "off"
    for bad in ("soon", "-5", "1h", "0m"):
        with pytest.raises(ValueError, match="quality interval"):
            parse_interval(bad)


def test_the_automatic_schedule_keeps_to_its_budget():
    now = [0.0]
    schedule = Schedule(parse_interval("auto"), lambda: now[0])
    now[0] = FIRST_AFTER - 1
    assert not schedule.due(1) and not schedule.due(FIRST_STEPS + 1)
    now[0] = FIRST_AFTER
    assert not schedule.due(FIRST_STEPS - 1)  # a short (or slow) run is left alone
    assert schedule.due(FIRST_STEPS)
    now[0] += 3.0  # a measurement that took 3 s: 24 times as long must be trained first
    schedule.measured(3.0)
    now[0] += 71.0
    assert not schedule.due(3)
    now[0] += 1.0
    assert schedule.due(4)
    assert 3.0 / (3.0 + 72.0) <= 0.05
    schedule.measured(0.01)  # a quick one never makes it measure more often than MIN_GAP
    now[0] += MIN_GAP - 0.5
    assert not schedule.due(5)
    steps = Schedule(parse_interval("20"), lambda: 0.0)
    assert [s for s in range(1, 70) if steps.due(s)] == [20, 40, 60]
    assert not Schedule(parse_interval("off"), lambda: 1e9).due(1)


def test_collapse_warnings_are_given_on_entering_a_collapse():
    names = tuple("0123456789")
    even = (0.1,) * 10
    one = (0.0, 0.91) + (0.01,) * 8
    watch = CollapseWatch(names)
    assert watch.check(1, {"precision": 0.8, "recall": 0.6}, even) == []
    (warning,) = watch.check(2, {"precision": 0.8, "recall": 0.25}, even)
    assert "recall fell to 0.25 from its best of 0.60 (step 1)" in warning
    assert watch.check(3, {"precision": 0.8, "recall": 0.2}, even) == []  # said already
    assert watch.check(4, {"precision": 0.8, "recall": 0.5}, even) == []
    assert len(watch.check(5, {"precision": 0.8, "recall": 0.1}, even)) == 1  # again
    (warning,) = CollapseWatch(names).check(6, {"precision": 0.9, "recall": 0.1}, one)
    assert "91% of the samples are of class '1'" in warning and "mode collapse" in warning
    # Noise from an untrained generator, put in one class, is not a collapse.
    assert CollapseWatch(names).check(7, {"precision": 0.02, "recall": 0.0}, one) == []


class ImagesAsGenerator:
    """Stands in for a generator: its samples are the given images."""

    title = "stand-in generator"

    def __init__(self, images):
        self.images = images.float() / 255
        self.device = torch.device("cpu")
        self.drawn = 0

    def make_noise(self, n, generator=None):
        # The images in turn: up to their number, no image is drawn twice.
        index = (self.drawn + torch.arange(n)) % len(self.images)
        self.drawn += n
        return index

    def can(self, capability):
        return capability == Capability.GENERATE

    def sample(self, n, *, noise=None, labels=None):
        return self.images[noise]

    def train_mode(self, training):
        pass


def stand_in_run(tmp_path, tiny_reference, images, history=()):
    runs = tmp_path / "runs"
    install_reference(runs, tiny_reference)
    data = load_mnist_5k()
    config = {"kind": "dcgan", "dataset": data.describe(), "training": {"quality_every": "10"}}
    run = Run.create(runs, config)
    run.append_metrics(list(history))
    model = ImagesAsGenerator(images)
    return run, QualityMonitor(run, model, data, lambda: False, lambda: 1.0, 7)


@pytest.mark.usefixtures("quick_quality")
def test_a_run_whose_samples_are_one_class_gets_the_collapse_warning(tmp_path, tiny_reference):
    data = load_mnist_5k()
    ones = data.test_images[data.test_labels == 1]
    run, monitor = stand_in_run(tmp_path, tiny_reference, ones,
                                [{"step": 5, "quality": {"recall": 0.9}}])  # fmt: skip
    assert monitor.due(10) and not monitor.due(11)
    seen = list(monitor.measure(10))
    quality = next(r for r in seen if isinstance(r, reports.Quality))
    assert quality.step == 10 and quality.epoch == 1 and quality.samples == 1000
    assert quality.figures["class_max"] > 0.5 and quality.figures["recall"] < 0.2
    assert len(quality.warnings) == 2
    warnings = [r.message for r in seen if isinstance(r, reports.Notice) and r.level == "warning"]
    assert warnings == list(quality.warnings)
    assert "of class '1'" in warnings[0] and "best of 0.90 (step 5)" in warnings[1]
    records, _ = run.read_metrics()
    written = records[-1]["quality"]
    assert records[-1]["step"] == 10 and set(NAMES) <= set(written)
    assert len(written["class_shares"]) == 10 and written["samples"] == 1000


@pytest.mark.usefixtures("quick_quality")
def test_a_run_whose_samples_are_like_the_data_gets_no_warning(tmp_path, tiny_reference,
                                                               monkeypatch):  # fmt: skip
    monkeypatch.setattr(monitor_module, "SAMPLES", 500)  # each of the 500 test digits once
    _, monitor = stand_in_run(tmp_path, tiny_reference, load_mnist_5k().test_images)
    seen = list(monitor.measure(10))
    quality = next(r for r in seen if isinstance(r, reports.Quality))
    assert quality.warnings == () and not any(isinstance(r, reports.Notice) for r in seen)
    assert quality.figures["precision"] > 0.7 and quality.figures["recall"] > 0.7
    assert quality.figures["class_max"] < 0.2 and quality.figures["spread"] > 0.8


def test_classifier_runs_are_not_measured(trained_runs):
    from models.runs.checkpoint import load_model

    run = Run(trained_runs["cnn"])
    monitor = QualityMonitor(run, load_model(run, "cpu"), load_mnist_5k(), lambda: False,
                             lambda: 1e6, 70)  # fmt: skip
    assert not monitor.due(100)


def dcgan_losses(run_dir):
    records, _ = Run(run_dir).read_metrics()
    return {r["step"]: r["d_loss"] for r in records if "d_loss" in r and "split" not in r}


@pytest.mark.usefixtures("quick_quality")
def test_training_measures_without_changing_the_training(tmp_path, tiny_reference):
    install_reference(tmp_path / "measured", tiny_reference)
    runs = {}
    seen = {}
    for every in ("20", "off"):
        request = TrainRequest(kind="dcgan", hyperparameters=TINY["dcgan"], epochs=1, seed=3,
                               runs_dir=tmp_path / ("measured" if every == "20" else "plain"),
                               sample_every=1000, quality_every=every)  # fmt: skip
        trainer = Trainer(request)
        seen[every] = list(trainer.run())
        runs[every] = trainer.run_folder
    measured = [r for r in seen["20"] if isinstance(r, reports.Quality)]
    assert [r.step for r in measured] == [20, 40, 60]
    assert all(0 <= r.figures["precision"] <= 1 and r.figures["fid"] > 0 for r in measured)
    assert not any(isinstance(r, reports.Quality) for r in seen["off"])
    records, _ = runs["20"].read_metrics()
    order = [(r["step"], "quality" in r) for r in records if "split" not in r]
    assert [s for s, q in order if q] == [20, 40, 60]
    # Every loss record of the steps before a measurement was written before it.
    first = order.index((20, True))
    assert [s for s, q in order[:first]] == list(range(1, 21))
    # Measuring draws its own noise and leaves the random numbers as they were.
    assert dcgan_losses(runs["20"].path) == dcgan_losses(runs["off"].path)


@pytest.mark.usefixtures("quick_quality")
def test_a_stop_while_measuring_is_honoured_between_chunks(tmp_path, tiny_reference,
                                                          monkeypatch):  # fmt: skip
    install_reference(tmp_path, tiny_reference)
    request = TrainRequest(kind="dcgan", hyperparameters=TINY["dcgan"], epochs=1,
                           runs_dir=tmp_path, sample_every=1000, quality_every="10")  # fmt: skip
    trainer = Trainer(request)
    drawn = []
    original = DCGAN.sample

    def sample(self, n, **kwargs):
        if n <= monitor_module.SAMPLES and n not in (64, 80):  # a measurement's chunk
            drawn.append(n)
            trainer.stop()  # the person presses Stop while the monitor draws samples
        return original(self, n, **kwargs)

    monkeypatch.setattr(DCGAN, "sample", sample)
    seen = list(trainer.run())
    assert len(drawn) == 1  # no chunk was drawn after the stop
    assert not any(isinstance(r, reports.Quality) for r in seen)
    assert seen[-1] == reports.StateChanged("stopped", "stopped by request", step=10)
    assert trainer.run_folder.status()["state"] == "stopped"
