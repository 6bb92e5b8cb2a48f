"""The latent page for a run whose latent is shaped like an image and whose decode is a whole
sampling run (many passes): paths between seeds asking for classes (blended along the path),
between inverted real images and dropped files, each decode with progress; sliders, map and
arithmetic replaced by a sentence saying why; and the page's jobs answered with typed results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from studio_helpers import WAIT_MS, quick_run

from models.kinds.description import describe_registered
from studio.latent.explorer import LatentExplorer
from studio.latent.routes import Outcome, PageJob, ToolJob

SMALL = {"width": 8, "batch_size": 64, "preview_steps": 2, "sampling_steps": 6}
IMAGE_LAYOUT = [name for name, d in describe_registered().items() if d.latent_layout == "image"]


def test_some_kind_has_an_image_shaped_latent():
    assert IMAGE_LAYOUT


@pytest.fixture(scope="module")
def image_latent_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("image-latent-runs")
    return {kind: quick_run(root, kind, SMALL) for kind in IMAGE_LAYOUT}


@pytest.fixture
def explorer(qtbot, tmp_path):
    page = LatentExplorer(tmp_path / "runs")
    qtbot.addWidget(page)
    page.resize(1280, 640)
    page.show()
    yield page
    assert page.shutdown()


def load(run: Path):
    from models.runs.checkpoint import load_model
    from models.runs.folder import Run

    model = load_model(Run.open(run), "cpu")
    model.train_mode(False)
    return model


def idle(qtbot, page: LatentExplorer) -> None:
    qtbot.waitUntil(lambda: not any(page.tasks.is_pending(k) for k in page.routes),
                    timeout=WAIT_MS)  # fmt: skip


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and int(np.abs(a.astype(int) - b.astype(int)).max()) <= 2


def drop(widget, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    widget.dropEvent(event)


def one_hot(label: int, classes: int = 10) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(label), classes).float()


@pytest.mark.parametrize("kind", IMAGE_LAYOUT)
def test_paths_between_seeds_classes_and_real_images(qtbot, explorer, image_latent_runs, kind,
                                                      tmp_path):  # fmt: skip
    from models.analysis.latent_map import seed_latent
    from models.analysis.latent_paths import path
    from models.data.datasets import load_mnist_5k
    from models.data.grids import to_uint8

    explorer.show_run(image_latent_runs[kind])
    qtbot.waitUntil(lambda: explorer.info is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: explorer.gallery is not None, timeout=WAIT_MS)
    model = load(image_latent_runs[kind])
    tool = explorer.interpolation
    progress = []
    explorer.tasks.progress.connect(lambda key, done, total: progress.append(key))
    qtbot.waitUntil(lambda: tool.frames is not None, timeout=WAIT_MS)
    idle(qtbot, explorer)

    # Seeds asking for classes: the class is blended along the path as the noise is.
    tool.steps.setValue(4)
    tool.start.choose_label(3)
    tool.end.choose_label(8)
    idle(qtbot, explorer)
    noise = path(seed_latent(model, 1), seed_latent(model, 2), 4, "slerp")
    t = torch.linspace(0, 1, 4)[:, None]
    weights = (1 - t) * one_hot(3) + t * one_hot(8)
    assert np.array_equal(tool.frames, to_uint8(model.decode(noise, weights)))
    assert "strip:strip" in progress  # each decode is a sampling run: its steps are shown
    # A seed alone asks for the class it picks (seed modulo the classes).
    tool.start.choose_label(None)
    tool.end.choose_label(None)
    idle(qtbot, explorer)
    weights = (1 - t) * one_hot(1) + t * one_hot(2)
    assert np.array_equal(tool.frames, to_uint8(model.decode(noise, weights)))

    # Real images are inverted into noise; the path's ends are their reconstructions.
    data = load_mnist_5k()
    tool.start.set_test_image(3)
    tool.end.set_test_image(8)
    idle(qtbot, explorer)
    ends = to_uint8(model.reconstruct(data.test_images[[3, 8]].float() / 255,
                                      steps=SMALL["sampling_steps"]))  # fmt: skip
    assert close(tool.frames[0], ends[0]) and close(tool.frames[-1], ends[1])

    digit = tmp_path / "digit.png"
    Image.fromarray(data.test_images[5, 0].numpy()).save(digit)
    drop(tool.end, digit)
    qtbot.waitUntil(lambda: tool.end.spec()["source"] == "file", timeout=WAIT_MS)
    idle(qtbot, explorer)
    expected = to_uint8(model.reconstruct(data.test_images[[5]].float() / 255,
                                          steps=SMALL["sampling_steps"]))[0]  # fmt: skip
    assert close(tool.frames[-1], expected)

    # Four corners with classes: each corner is its seed drawn as its class. Its grid of
    # sampling runs was not asked for while its tab was hidden; showing the tab asks for it.
    corners = explorer.corners
    assert corners.grid.array is None and "corners:grid" not in explorer.routes
    explorer.tabs.setCurrentWidget(corners)
    qtbot.waitUntil(lambda: corners.grid.array is not None, timeout=WAIT_MS)
    corners.size.setValue(2)
    for corner, label in zip(corners.corners, (0, 1, 2, 3), strict=True):
        corner.choose_label(label)
    idle(qtbot, explorer)
    qtbot.waitUntil(lambda: corners.grid.array is not None, timeout=WAIT_MS)
    seeds = torch.stack([seed_latent(model, s) for s in (1, 2, 3, 4)])
    expected = to_uint8(model.decode(seeds, torch.tensor([0, 1, 2, 3])))
    from models.data.grids import make_grid

    assert np.array_equal(corners.grid.array, make_grid(expected, columns=2))


@pytest.mark.parametrize("kind", IMAGE_LAYOUT)
def test_sliders_map_and_arithmetic_say_why_they_do_not_fit(qtbot, explorer, image_latent_runs,
                                                            headless_run, kind):  # fmt: skip
    explorer.show_run(image_latent_runs[kind])
    qtbot.waitUntil(lambda: explorer.info is not None, timeout=WAIT_MS)
    size = explorer.info["latent_dim"]
    for tool, words in ((explorer.sliders, f"No sliders for this run: its latent is noise "
                         f"shaped like the image, {size} values"),
                        (explorer.map, "No map for this run"),
                        (explorer.arithmetic, "No arithmetic for this run")):  # fmt: skip
        slot = explorer.tabs.slot(tool)
        assert slot.showing_note and words in slot.note.text()
        assert tool.info is None  # asks nothing of the worker
    assert not explorer.sliders.sliders  # not one slider built
    # The test split is not inverted for a map nobody can see: no analysis is asked for.
    assert PageJob.ANALYSE.key not in explorer.routes

    # A run with a vector latent gets the tools back.
    explorer.show_run(headless_run)
    qtbot.waitUntil(lambda: explorer.analysis is not None, timeout=WAIT_MS)
    for tool in (explorer.sliders, explorer.map, explorer.arithmetic):
        assert not explorer.tabs.slot(tool).showing_note and tool.info is not None
    assert explorer.sliders.sliders


def test_results_come_back_typed_and_a_bare_value_is_not_dispatched(qtbot, explorer,
                                                                   headless_run):  # fmt: skip
    values = []
    explorer.tasks.result.connect(lambda key, value: values.append(value))
    explorer.show_run(headless_run)
    tool = explorer.interpolation
    qtbot.waitUntil(lambda: explorer.analysis is not None and tool.frames is not None,
                    timeout=WAIT_MS)  # fmt: skip
    assert values and all(isinstance(v, Outcome) for v in values)
    routes = {v.route for v in values}
    assert PageJob.OPEN in routes and ToolJob("strip", "strip") in routes
    # What reaches the page under a tool's key without an Outcome's route is not for a tool.
    frames = tool.frames
    explorer.tasks.result.emit("strip:strip", {"token": explorer.token, "frames": None,
                                               "strip": None})  # fmt: skip
    assert tool.frames is frames
