"""Everything the studio does for a kind that encodes works for the GAN with an encoder, on a
real (tiny) run: its Samples pane shows reconstructions, and on the latent page a dropped file
is an end point, the map is the encoded test split, arithmetic starts from real images and an
interpolation runs from one real digit to another."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from studio_helpers import WAIT_MS

from models.kinds.base import Capability
from models.kinds.registry import KINDS
from studio.latent.explorer import LatentExplorer
from studio.training.samples_view import SamplesView

# The kinds whose encoder gives a point, not a distribution (the VAE's latent page has its
# own tests in test_latent_explorer.py), with settings small enough to train in seconds.
POINT_ENCODERS = {"bigan": {"batch_size": 64, "width": 8, "latent_dim": 8}}


def test_the_kinds_tried_here_encode():
    assert all(KINDS[kind].capabilities & Capability.ENCODE for kind in POINT_ENCODERS)


@pytest.fixture(scope="module")
def encoder_runs(tmp_path_factory) -> dict[str, Path]:
    """A run of each point-encoding kind, stopped after a few steps (a stop writes weights)."""
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    root = tmp_path_factory.mktemp("encoder-runs")
    runs = {}
    for kind in POINT_ENCODERS:
        request = TrainRequest(kind, "mnist-5k", POINT_ENCODERS[kind], epochs=1, runs_dir=root)
        trainer = Trainer(request)
        for report in trainer.run():
            if isinstance(report, reports.Started):
                runs[kind] = Path(report.run_dir)
            if isinstance(report, reports.Losses) and report.step >= 5:
                trainer.stop()
    return runs


@pytest.fixture
def explorer(qtbot, tmp_path):
    page = LatentExplorer(tmp_path / "runs")
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    yield page
    assert page.shutdown()


def idle(qtbot, page: LatentExplorer) -> None:
    names = ("strip:strip", "corners:grid", "sliders:decode", "arithmetic:result", "analyse")
    qtbot.waitUntil(lambda: not any(page.tasks.is_pending(n) for n in names), timeout=WAIT_MS)


def close(a: np.ndarray, b: np.ndarray) -> bool:
    """Images equal up to a level of rounding: the page's worker and the test decode on
    threads of their own, and a slerp's end is its end point up to floating-point error."""
    return a.shape == b.shape and int(np.abs(a.astype(int) - b.astype(int)).max()) <= 2


def drop(widget, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    widget.dropEvent(event)


@pytest.mark.parametrize("kind", list(POINT_ENCODERS))
def test_the_samples_pane_shows_reconstructions_beside_samples(qtbot, encoder_runs, kind):
    view = SamplesView()
    qtbot.addWidget(view)
    view.show_run(encoder_runs[kind])
    assert view.steps["reconstructions"] and view.steps["samples"]
    assert view.reconstructions.image is not None and view.reconstructions.isVisibleTo(view)
    assert view.samples.image is not None


@pytest.mark.parametrize("kind", list(POINT_ENCODERS))
def test_the_latent_page_works_from_real_images(qtbot, explorer, encoder_runs, kind, tmp_path):
    from models.analysis.latent_map import class_means
    from models.data.datasets import load_mnist_5k
    from models.data.grids import to_uint8
    from models.runs.checkpoint import load_model
    from models.runs.folder import Run

    explorer.show_run(encoder_runs[kind])
    qtbot.waitUntil(
        lambda: explorer.info is not None and explorer.analysis is not None, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: explorer.gallery is not None, timeout=WAIT_MS)
    assert explorer.info["can_encode"] and explorer.info["title"] == KINDS[kind].title

    # The map is the test split, encoded (not samples from fixed noise), coloured by class.
    data = load_mnist_5k()
    analysis = explorer.analysis
    assert analysis["points"].shape == (data.num_test, 2)
    assert np.array_equal(analysis["labels"], data.test_labels.numpy())
    assert analysis["kl"] is None  # a point encoder: no KL to order the sliders by
    assert "encoded" in explorer.map.status.text()

    # Interpolation from one real digit to another: the ends are their reconstructions.
    tool = explorer.interpolation
    qtbot.waitUntil(lambda: tool.frames is not None, timeout=WAIT_MS)
    idle(qtbot, explorer)
    tool.start.set_test_image(3)
    tool.end.set_test_image(8)
    model = load_model(Run.open(encoder_runs[kind]), "cpu")
    model.train_mode(False)
    ends = to_uint8(model.reconstruct(data.test_images[[3, 8]].float() / 255))
    qtbot.waitUntil(lambda: close(tool.frames[-1], ends[1]), timeout=WAIT_MS)
    idle(qtbot, explorer)
    assert close(tool.frames[0], ends[0])

    # A dropped file becomes an end point.
    digit = tmp_path / "digit.png"
    Image.fromarray(data.test_images[5, 0].numpy()).resize((56, 56)).save(digit)
    drop(tool.end, digit)
    qtbot.waitUntil(lambda: tool.end.spec()["source"] == "file", timeout=WAIT_MS)
    assert tool.end.spec()["path"] == str(digit)
    idle(qtbot, explorer)
    from models.data.images import load_image

    dropped = load_image(digit, model.image_shape).tensor()[None]
    expected = to_uint8(model.reconstruct(dropped))[0]
    qtbot.waitUntil(lambda: close(tool.frames[-1], expected), timeout=WAIT_MS)

    # Arithmetic on real images: class means of the encoded test split.
    arithmetic = explorer.arithmetic
    assert arithmetic.isEnabled()
    qtbot.waitUntil(lambda: arithmetic.images[1].array is not None, timeout=WAIT_MS)
    idle(qtbot, explorer)
    arithmetic.scale.setValue(0.0)
    idle(qtbot, explorer)
    assert np.array_equal(arithmetic.images[0].array, arithmetic.images[1].array)
    latents = model.encode(data.test_images.float() / 255).float().cpu()
    means, _ = class_means(latents, data.test_labels, 10)
    drawn = to_uint8(model.decode(means[3][None]))[0]
    assert close(arithmetic.images[2].array, drawn)  # the mean of the 3s, drawn
