"""The denoising view on a real (tiny) run whose decode takes many passes: one sample scrubbed
step by step (x_t beside the predicted clean image), played, exported as a GIF or a strip; the
same seed at several step counts or guidance scales; progress and Cancel while it works; and
none of it offered for a kind that decodes in one pass. Everything is computed by the page's
worker, as in the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtWidgets import QFileDialog
from studio_helpers import WAIT_MS, quick_run

from models.kinds.description import describe_registered
from studio.latent.explorer import LatentExplorer

# The kinds whose decode is a many-pass sampling run, each with settings that train in
# seconds and sample in a few steps.
SMALL = {"width": 8, "batch_size": 64, "preview_steps": 2, "sampling_steps": 6}
MANY_PASS = [name for name, d in describe_registered().items() if d.decode_passes == "many"]


def test_some_kind_decodes_in_many_passes():
    assert MANY_PASS


@pytest.fixture(scope="module")
def many_pass_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("many-pass-runs")
    return {kind: quick_run(root, kind, SMALL) for kind in MANY_PASS}


@pytest.fixture
def explorer(qtbot, tmp_path):
    page = LatentExplorer(tmp_path / "runs")
    qtbot.addWidget(page)
    page.resize(1280, 640)
    page.show()
    yield page
    assert page.shutdown()


def opened(qtbot, page: LatentExplorer, run: Path) -> None:
    page.show_run(run)
    qtbot.waitUntil(lambda: page.info is not None, timeout=WAIT_MS)


def load(run: Path):
    from models.runs.checkpoint import load_model
    from models.runs.folder import Run

    model = load_model(Run.open(run), "cpu")
    model.train_mode(False)
    return model


def save_to(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


@pytest.mark.parametrize("kind", MANY_PASS)
def test_the_view_scrubs_plays_and_exports_one_sample(qtbot, explorer, many_pass_runs, kind,
                                                     tmp_path, monkeypatch):  # fmt: skip
    from models.analysis.latent_map import seed_latent

    opened(qtbot, explorer, many_pass_runs[kind])
    tool = explorer.denoise
    assert explorer.tabs.isTabVisible(explorer.tabs.indexOf(tool))
    explorer.tabs.setCurrentWidget(tool)
    settings = tool.settings
    assert settings.steps.value() == SMALL["sampling_steps"]  # the run's own default
    assert settings.label.isVisibleTo(tool)  # trained on labelled digits: a class to ask for
    qtbot.waitUntil(lambda: tool.trajectory is not None, timeout=WAIT_MS)

    settings.seed.setValue(11)
    settings.label.setCurrentIndex(settings.label.findData(7))
    settings.guidance.setValue(3.0)
    settings.steps.setValue(5)
    qtbot.waitUntil(lambda: tool.trajectory is not None and len(tool.trajectory.timesteps) == 5
                    and tool.settings.spec() == {"seed": 11, "label": 7, "guidance": 3.0,
                                                 "steps": 5}, timeout=WAIT_MS)  # fmt: skip
    qtbot.waitUntil(lambda: not explorer.tasks.is_pending("denoise:trajectory"), timeout=WAIT_MS)
    model = load(many_pass_runs[kind])
    expected = model.trajectory(seed_latent(model, 11)[None], torch.tensor([7]), steps=5,
                                guidance=3.0)  # fmt: skip
    shown = tool.trajectory
    assert np.array_equal(shown.noisy, expected.noisy)
    assert np.array_equal(shown.predicted, expected.predicted)
    assert np.array_equal(shown.final, expected.final)

    # The slider: x_t beside the clean image predicted at that step; its end is the result.
    assert tool.slider.maximum() == 5 and tool.slider.value() == 5
    assert np.array_equal(tool.noisy.array, expected.final[0])
    tool.slider.setValue(2)
    assert np.array_equal(tool.noisy.array, expected.noisy[2][0])
    assert np.array_equal(tool.clean.array, expected.predicted[2][0])
    assert "Step 3 of 5" in tool.step_text.text()

    # Play walks the steps to the end and stops there.
    tool.toggle_play()
    assert tool.playing and tool.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: not tool.playing, timeout=WAIT_MS)
    assert tool.slider.value() == 5 and tool.play_button.text() == "Play"
    tool.slider.setValue(1)
    tool.toggle_play()
    tool.toggle_play()  # pause
    assert not tool.playing and tool.slider.value() < 5

    # Exports: a frame per step and the finished image, noisy | predicted, enlarged 4x.
    gif = tmp_path / "steps.gif"
    save_to(monkeypatch, gif)
    tool.save_gif.click()
    qtbot.waitUntil(gif.exists, timeout=WAIT_MS)
    with Image.open(gif) as image:
        assert image.n_frames == 6 and image.size == (4 * (28 + 2 + 28), 4 * 28)
    strip = tmp_path / "steps.png"
    save_to(monkeypatch, strip)
    tool.save_png.click()
    qtbot.waitUntil(strip.exists, timeout=WAIT_MS)
    with Image.open(strip) as image:
        assert image.size == (4 * (6 * (58 + 2) + 2), 4 * (28 + 4))


@pytest.mark.parametrize("kind", MANY_PASS)
def test_one_seed_at_several_step_counts_and_guidance_scales(qtbot, explorer, many_pass_runs,
                                                            kind):  # fmt: skip
    from models.analysis.latent_map import seed_latent

    opened(qtbot, explorer, many_pass_runs[kind])
    tool = explorer.compare
    assert explorer.tabs.isTabVisible(explorer.tabs.indexOf(tool))
    explorer.tabs.setCurrentWidget(tool)
    tool.settings.seed.setValue(4)
    tool.settings.label.setCurrentIndex(tool.settings.label.findData(2))
    tool.vary.setCurrentIndex(tool.vary.findData("steps"))
    assert not tool.settings.steps.isEnabled()  # the columns say the steps
    tool.values.setText("1, 3, 6")
    tool.rows.setValue(2)
    tool.draw_button.click()
    qtbot.waitUntil(lambda: tool.comparison is not None, timeout=WAIT_MS)
    model = load(many_pass_runs[kind])
    noise = torch.stack([seed_latent(model, 4), seed_latent(model, 5)])
    guidance = tool.settings.guidance.value()
    from models.data.grids import to_uint8

    assert tool.comparison.images.shape == (2, 3, 28, 28, 1)
    for column, steps in enumerate((1, 3, 6)):
        expected = to_uint8(model.decode(noise, torch.tensor([2, 2]), steps=steps,
                                         guidance=guidance))  # fmt: skip
        assert np.array_equal(tool.comparison.images[:, column], expected)
    assert tool.columns.count() == 6  # a caption and a picture per column
    assert "3 steps" in tool.columns.itemAtPosition(0, 1).widget().text()

    tool.vary.setCurrentIndex(tool.vary.findData("guidance"))
    assert tool.settings.steps.isEnabled() and not tool.settings.guidance.isEnabled()
    tool.values.setText("0, 4")
    tool.settings.steps.setValue(2)
    tool.draw_button.click()
    qtbot.waitUntil(lambda: tool.comparison.vary == "guidance", timeout=WAIT_MS)
    for column, scale in enumerate((0.0, 4.0)):
        expected = to_uint8(model.decode(noise, torch.tensor([2, 2]), steps=2, guidance=scale))
        assert np.array_equal(tool.comparison.images[:, column], expected)

    # A value that is no step count is refused in one line, and nothing is asked of the worker.
    tool.vary.setCurrentIndex(tool.vary.findData("steps"))
    tool.values.setText("10, 2.5")
    tool.draw_button.click()
    assert "whole number" in explorer.message.text()
    assert not explorer.tasks.is_pending("compare:grid")


@pytest.mark.parametrize("kind", MANY_PASS)
def test_a_long_denoising_shows_progress_and_cancels(qtbot, explorer, many_pass_runs, kind,
                                                     headless_run):  # fmt: skip
    opened(qtbot, explorer, many_pass_runs[kind])
    tool = explorer.denoise
    explorer.tabs.setCurrentWidget(tool)
    qtbot.waitUntil(lambda: tool.trajectory is not None, timeout=WAIT_MS)
    first = tool.trajectory
    seen = []
    explorer.tasks.progress.connect(lambda key, done, total: seen.append((key, done, total)))
    tool.settings.steps.setValue(1000)  # every training timestep: seconds, not a moment
    qtbot.waitUntil(lambda: explorer.progress.isVisible(), timeout=WAIT_MS)
    assert "Denoising: step" in explorer.progress.bar.format()
    assert explorer.progress.bar.maximum() == 1000
    explorer.progress.cancel.click()
    qtbot.waitUntil(lambda: not explorer.progress.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not explorer.tasks.is_pending("denoise:trajectory"), timeout=WAIT_MS)
    assert seen and seen[0][0] == "denoise:trajectory" and seen[-1][2] == 1000
    assert seen[-1][1] < 1000  # stopped before the end
    assert tool.trajectory is first  # the cancelled run shows nothing half done
    assert "Stopped" in explorer.message.text()
    tool.settings.steps.setValue(3)  # the next sample takes the word back
    qtbot.waitUntil(lambda: len(tool.trajectory.timesteps) == 3, timeout=WAIT_MS)
    assert "Stopped" not in explorer.message.text()

    # Another run opened meanwhile stops the long job too, without a word about stopping.
    tool.settings.steps.setValue(999)
    qtbot.waitUntil(lambda: explorer.progress.isVisible(), timeout=WAIT_MS)
    explorer.show_run(headless_run)
    qtbot.waitUntil(lambda: explorer.info is not None and explorer.info["path"] ==
                    str(headless_run), timeout=WAIT_MS)  # fmt: skip
    assert not explorer.progress.isVisible() and "Stopped" not in explorer.message.text()


def test_nothing_of_it_is_offered_for_a_one_pass_kind(qtbot, explorer, headless_run):
    opened(qtbot, explorer, headless_run)
    for tool in (explorer.denoise, explorer.compare):
        assert not explorer.tabs.isTabVisible(explorer.tabs.indexOf(tool))
    assert explorer.tabs.isTabVisible(explorer.tabs.indexOf(explorer.interpolation))
