"""The quality monitor's interval in the Train panel: offered for the kinds it measures, passed
to the run as the command line's --quality-every is, remembered, and a fork's put back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from studio_helpers import TINY, WAIT_MS, set_tiny

from models.analysis.quality.monitor import QualityMonitor
from models.kinds.description import LATENT_SPACE
from studio.training.quick_timing import time_steps
from studio.training.train_panel import TrainPanel


@pytest.fixture
def measured_steps(monkeypatch) -> list[int]:
    """The steps the monitor is asked to measure at; nothing is measured (a measurement first
    trains a reference classifier, which a test of the interval has no need of)."""
    steps: list[int] = []

    def measure(self, step):
        steps.append(step)
        return iter(())

    monkeypatch.setattr(QualityMonitor, "measure", measure)
    return steps


def choose(panel: TrainPanel, mode: str, count: int | None = None) -> None:
    """Pick the interval in the chooser as a person would."""
    chooser = panel.quality_every
    chooser.mode.setCurrentIndex(chooser.mode.findData(mode))
    if count is not None:
        chooser.count.setValue(count)


def generating_kind(catalog) -> str:
    return next(k for k, info in catalog.kinds.items() if info.has(LATENT_SPACE))


@pytest.mark.parametrize(("mode", "count", "recorded", "steps"),
                         [("steps", 50, "50", [50]), ("off", None, "off", [])])  # fmt: skip
def test_the_chosen_interval_is_the_runs(window, qtbot, catalog, measured_steps, mode, count,
                                         recorded, steps):  # fmt: skip
    panel, session = window.train_panel, window.session
    panel.kind.setCurrentIndex(panel.kind.findData(generating_kind(catalog)))
    assert panel.quality_every.isVisibleTo(panel)
    set_tiny(panel, epochs=1, sample_every=1000)  # one epoch of about 70 steps
    choose(panel, mode, count)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.run_dir is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not session.busy, timeout=WAIT_MS)
    config = json.loads((Path(session.run_dir) / "config.json").read_text())
    assert config["training"]["quality_every"] == recorded
    assert measured_steps == steps  # the run measured on that schedule
    # Remembered for next time, like the other choices.
    remembered = window.settings.training_choices()
    assert remembered["quality_every"] == recorded
    again = TrainPanel()
    qtbot.addWidget(again)
    again.set_catalog(catalog, remembered)
    assert again.quality_every.text() == recorded
    assert again.request()["quality_every"] == recorded


def test_offered_only_for_kinds_that_make_images_from_noise(qtbot, catalog):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog, {})
    panel.show()
    for kind, info in catalog.kinds.items():
        panel.kind.setCurrentIndex(panel.kind.findData(kind))
        assert panel.quality_every.isVisibleTo(panel) == info.has(LATENT_SPACE), kind
    assert any(not info.has(LATENT_SPACE) and info.draws_images for info in catalog.kinds.values())


def test_steps_and_seconds_read_as_the_command_line_spells_them(qtbot, catalog):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_catalog(catalog, {"kind": generating_kind(catalog)})
    assert panel.quality_every.text() == "auto"  # the command line's default
    assert panel.quality_every.mode.currentText().startswith("auto (at most 4 %")
    assert "4 %" in panel.quality_every.toolTip()
    choose(panel, "seconds", 45)
    assert panel.request()["quality_every"] == "45s"
    choose(panel, "steps", 200)
    choose(panel, "seconds")
    assert panel.quality_every.text() == "45s"  # each mode keeps its own count
    choose(panel, "steps")
    assert panel.quality_every.text() == "200"
    panel.reset_to_defaults()
    assert panel.quality_every.text() == "auto"


def test_a_fork_shows_the_runs_interval_and_cancelling_puts_the_form_back(qtbot, catalog):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    kind = generating_kind(catalog)
    panel.set_catalog(catalog, {"kind": kind})
    choose(panel, "steps", 300)
    config = {"kind": kind, "dataset": {"name": "mnist-5k"}, "hyperparameters": {},
              "training": {"seed": 3, "sample_every": 100, "quality_every": "2m"}}  # fmt: skip
    panel.prepare_fork("/runs/earlier", config)
    assert panel.quality_every.text() == "120s"
    assert panel.request()["quality_every"] == "120s"
    panel.prepare_fork("/runs/earlier", {**config, "training": {"quality_every": "off"}})
    assert panel.quality_every.text() == "off"
    panel.cancel_fork()
    assert panel.quality_every.text() == "300"
    # A run saved before the setting existed was measured automatically.
    panel.prepare_fork("/runs/older", {**config, "training": {}})
    assert panel.quality_every.text() == "auto"


def test_the_quick_timing_measures_no_quality(catalog, measured_steps):
    request = {"kind": generating_kind(catalog), "dataset": "mnist-5k",
               "hyperparameters": dict(TINY), "seed": 0, "device": "cpu", "sample_every": 100,
               "quality_every": "1"}  # fmt: skip
    speed = time_steps(request, steps=3)
    assert speed.seconds_per_epoch > 0
    assert measured_steps == []


def test_the_long_auto_item_does_not_widen_the_panel(qtbot, catalog):
    """The window sizes the form to the panel's minimum width; the interval fits within it."""
    widths = {}
    for kind in catalog.kinds:
        panel = TrainPanel()
        qtbot.addWidget(panel)
        panel.set_catalog(catalog, {"kind": kind})
        panel.show()
        widths[kind] = panel.minimumSizeHint().width()
    without = max(w for k, w in widths.items() if not catalog.kinds[k].has(LATENT_SPACE))
    assert max(widths.values()) <= without, widths


def test_a_run_in_training_shows_its_interval_until_it_ends(qtbot, catalog):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    kind = generating_kind(catalog)
    panel.set_catalog(catalog, {"kind": kind})
    choose(panel, "seconds", 20)
    panel.set_busy(True)
    panel.show_running({"kind": kind, "dataset": {"name": "mnist-5k"}, "hyperparameters": {},
                        "training": {"epochs": 2, "quality_every": "off"}})  # fmt: skip
    assert panel.quality_every.text() == "off"
    panel.set_busy(False)
    assert panel.quality_every.text() == "20s"
