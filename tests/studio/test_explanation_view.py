"""Why it decided, in the window: the Classify page's details show the selected row's heat map,
computed by the page's worker; the Train panel offers every classifier kind and a NumPy
archive as a dataset."""

# The Classify page's fixtures are imported from its tests, so their names are parameters here.
# ruff: noqa: F811

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QFileDialog
from studio_helpers import WAIT_MS

from studio.classify.explanation_view import ExplanationView
from studio.training.train_panel import TrainPanel
from tests.studio.test_classify_panel import (  # noqa: F401 - fixtures
    cnn_run,
    digits,
    panel,
    save_digits,
    wait_until_idle,
)


def test_the_view_shows_only_the_overlay_of_the_row_it_expects(qtbot):
    view = ExplanationView()
    qtbot.addWidget(view)
    overlay = np.zeros((28, 28, 3), np.uint8)
    overlay[:5, :5] = (255, 0, 0)
    view.expect("a.png")
    assert "Working out" in view.note.text()
    view.show_overlay("b.png", overlay, "Grad-CAM")  # an answer for a row no longer selected
    assert view.image.pixmap().isNull()
    view.show_overlay("a.png", overlay, "Grad-CAM")
    assert not view.image.pixmap().isNull()
    assert view.image.pixmap().toImage().pixelColor(5, 5).red() == 255
    assert "Grad-CAM" in view.note.text()
    view.show_error("the run is gone")
    assert view.image.pixmap().isNull() and "the run is gone" in view.note.text()


def test_a_selected_row_shows_where_the_classifier_looked(panel, qtbot, tmp_path, digits):
    images, labels = digits
    files = save_digits(tmp_path / "why", images[:2], labels[:2])
    panel.classify_paths([str(p) for p in files])
    wait_until_idle(qtbot, panel)
    panel.table.selectRow(1)
    view = panel.details.explanation
    qtbot.waitUntil(lambda: not view.image.pixmap().isNull(), timeout=WAIT_MS)
    assert view.key == str(files[1])
    assert "Grad-CAM" in view.note.text()
    picture = view.image.pixmap().toImage()
    colours = {picture.pixelColor(x, y).name() for x in range(0, 112, 7) for y in range(0, 112, 7)}
    assert len(colours) > 5  # a coloured heat map over the digit, not the grey digit alone


def test_the_job_explains_off_the_gui_thread_with_plain_data(cnn_run, digits):
    from studio.classify.jobs import Explanation, explain_row

    class Context:
        def __init__(self):
            self.cache, self.cancelled = {}, False

    images, _ = digits
    pixels = images[0][..., None]
    found = explain_row(Context(), str(cnn_run), "x.png", pixels)
    assert isinstance(found, Explanation) and found.key == "x.png"
    assert found.overlay.shape == (28, 28, 3) and found.overlay.dtype == np.uint8
    assert found.method == "Grad-CAM"


def test_the_train_panel_offers_every_classifier_and_a_numpy_archive(
    qtbot, catalog, tmp_path, monkeypatch
):
    from models.kinds.registry import KINDS

    form = TrainPanel()
    qtbot.addWidget(form)
    form.set_catalog(catalog)
    offered = {form.kind.itemData(i) for i in range(form.kind.count())}
    assert set(KINDS) <= offered
    archive = tmp_path / "pets.npz"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(archive), ""))
    form.dataset.setCurrentIndex(form.dataset.findData("__npz__"))
    assert form.dataset.currentData() == f"npz:{archive}"
    assert form.dataset.currentText() == "Archive: pets.npz"
    assert form.request()["dataset"] == f"npz:{archive}"
    # Cancelling the file dialog goes back to the dataset chosen before.
    form.select_dataset("mnist-5k")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    form.dataset.setCurrentIndex(form.dataset.findData("__npz__"))
    assert form.dataset.currentData() == "mnist-5k"
    form.select_dataset(f"npz:{archive}")  # a remembered or forked run's archive
    assert form.dataset.currentData() == f"npz:{archive}"
