"""The latent-space page on real runs: a VAE, a DCGAN, a 2-D and a 20-D VAE, and a classifier
that is refused. Every decode goes through the page's worker, as in the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog
from studio_helpers import TINY, WAIT_MS, open_run_and_wait, quick_run

from studio.latent.explorer import LatentExplorer


@pytest.fixture(scope="session")
def generative_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("latent-runs")
    return {
        "dcgan": quick_run(root, "dcgan", {"batch_size": 64, "width": 8, "latent_dim": 8}),
        "cnn": quick_run(root, "cnn", {"batch_size": 64, "width": 8}),
        "vae2": quick_run(root, "vae", {**TINY, "latent_dim": 2}),
        "vae20": quick_run(root, "vae", {**TINY, "latent_dim": 20}),
    }


@pytest.fixture
def explorer(qtbot, tmp_path):
    page = LatentExplorer(tmp_path / "runs")
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    yield page
    assert page.shutdown()


def open_and_wait(qtbot, page: LatentExplorer, run: Path) -> None:
    page.show_run(run)
    qtbot.waitUntil(lambda: page.info is not None and page.analysis is not None, timeout=WAIT_MS)
    if page.info["can_encode"]:
        qtbot.waitUntil(lambda: page.gallery is not None, timeout=WAIT_MS)


def idle(qtbot, page: LatentExplorer) -> None:
    names = ("strip:strip", "corners:grid", "sliders:decode", "arithmetic:result", "analyse")
    qtbot.waitUntil(lambda: not any(page.tasks.is_pending(n) for n in names), timeout=WAIT_MS)


def drop(widget, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    widget.dropEvent(event)


def save_to(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


# --- interpolation -----------------------------------------------------------------------
def test_interpolation_strip_follows_the_settings_and_exports(qtbot, explorer, headless_run,
                                                             tmp_path, monkeypatch):  # fmt: skip
    open_and_wait(qtbot, explorer, headless_run)
    tool = explorer.interpolation
    qtbot.waitUntil(lambda: tool.frames is not None, timeout=WAIT_MS)
    assert not tool.start.label.isVisibleTo(tool.start)  # a VAE has no classes to ask for
    tool.steps.setValue(16)
    qtbot.waitUntil(lambda: len(tool.frames) == 16, timeout=WAIT_MS)
    assert tool.frames.shape == (16, 28, 28, 1) and tool.strip.image is not None
    slerp_frames = tool.frames.copy()
    tool.path_kind.setCurrentIndex(tool.path_kind.findData("lerp"))
    qtbot.waitUntil(lambda: not np.array_equal(tool.frames, slerp_frames), timeout=WAIT_MS)
    # Same end points, another path: the ends agree, the middle does not.
    assert np.array_equal(tool.frames[0], slerp_frames[0])
    assert np.array_equal(tool.frames[-1], slerp_frames[-1])

    # A new seed moves the start and only the start.
    before = tool.frames.copy()
    tool.start.reroll.click()
    qtbot.waitUntil(lambda: not np.array_equal(tool.frames[0], before[0]), timeout=WAIT_MS)
    assert np.array_equal(tool.frames[-1], before[-1])

    # A test image from the gallery as the end.
    tool.end.set_test_image(5)
    assert tool.end.spec() == {"source": "test", "index": 5}
    idle(qtbot, explorer)

    save_to(monkeypatch, tmp_path / "strip.png")
    button_at = tool.save_gif.mapTo(explorer, tool.save_gif.rect().topLeft())
    tool.save_png.click()
    qtbot.waitUntil(lambda: (tmp_path / "strip.png").exists(), timeout=WAIT_MS)
    with Image.open(tmp_path / "strip.png") as strip:
        width, height = strip.size
    assert width > 4 * 16 * 28 and height > 4 * 28  # enlarged like the GIF, to be seen
    save_to(monkeypatch, tmp_path / "loop.gif")
    tool.save_gif.click()
    qtbot.waitUntil(lambda: (tmp_path / "loop.gif").exists(), timeout=WAIT_MS)
    with Image.open(tmp_path / "loop.gif") as gif:
        assert gif.n_frames == 2 * 16 - 2  # forward and back, ends not repeated
        assert gif.size[1] >= 4 * 28
    assert "Saved" in explorer.message.text()
    # The message did not push the buttons away from under the pointer.
    qtbot.wait(50)
    assert tool.save_gif.mapTo(explorer, tool.save_gif.rect().topLeft()) == button_at


def test_files_dropped_on_end_points(qtbot, explorer, headless_run, tmp_path):
    open_and_wait(qtbot, explorer, headless_run)
    tool = explorer.interpolation
    digit = tmp_path / "digit.png"
    Image.fromarray(explorer.gallery["images"][3][..., 0]).resize((56, 56)).save(digit)
    drop(tool.start, digit)
    qtbot.waitUntil(lambda: tool.start.spec()["source"] == "file", timeout=WAIT_MS)
    assert tool.start.spec()["path"] == str(digit)
    assert "digit.png" in tool.start.source.text()
    idle(qtbot, explorer)

    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(digit.read_bytes()[:60])
    drop(tool.end, damaged)
    qtbot.waitUntil(lambda: "damaged.png" in explorer.message.text(), timeout=WAIT_MS)
    assert tool.end.spec()["source"] == "seed"  # unchanged

    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    drop(tool.end, text)
    qtbot.waitUntil(lambda: "notes.txt" in explorer.message.text(), timeout=WAIT_MS)
    assert tool.end.spec()["source"] == "seed"
    # The page still works after the refusals.
    before = tool.frames.copy()
    tool.end.seed.setValue(99)
    qtbot.waitUntil(lambda: not np.array_equal(tool.frames[-1], before[-1]), timeout=WAIT_MS)


# --- four corners --------------------------------------------------------------------------
def test_four_corner_grid(qtbot, explorer, headless_run, tmp_path, monkeypatch):
    open_and_wait(qtbot, explorer, headless_run)
    tool = explorer.corners
    tool.size.setValue(4)
    # The default size's grid may land first: wait for the one asked for, not any grid.
    qtbot.waitUntil(
        lambda: tool.grid.array is not None and tool.grid.array.shape[0] == 4 * 30 + 2,
        timeout=WAIT_MS,
    )
    idle(qtbot, explorer)
    assert tool.grid.array.shape == (4 * 30 + 2, 4 * 30 + 2, 1)
    # The top-left tile is the top-left corner's seed, as the interpolation decodes it.
    explorer.interpolation.start.seed.setValue(tool.corners[0].spec()["seed"])
    idle(qtbot, explorer)
    assert np.array_equal(tool.grid.array[2:30, 2:30], explorer.interpolation.frames[0])
    save_to(monkeypatch, tmp_path / "corners.png")
    tool.save_png.click()
    qtbot.waitUntil(lambda: (tmp_path / "corners.png").exists(), timeout=WAIT_MS)


# --- sliders ------------------------------------------------------------------------------
def test_sliders_redraw_live_in_kl_order_with_traversal(qtbot, explorer, generative_runs,
                                                       tmp_path, monkeypatch):  # fmt: skip
    open_and_wait(qtbot, explorer, generative_runs["vae20"])
    tool = explorer.sliders
    kl = explorer.analysis["kl"]
    assert tool.order == sorted(range(20), key=lambda d: -kl[d])
    assert tool.unused == [bool(kl[d] < 0.02) for d in tool.order]
    # Beyond the first 16 the sliders are folded away until "show all".
    assert tool.show_all.isVisibleTo(tool) and not tool.show_all.isChecked()
    assert not tool.class_choice.isVisibleTo(tool)  # a VAE is not told classes
    assert len(tool.shown_dimensions()) == 16
    tool.show_all.setChecked(True)
    assert len(tool.shown_dimensions()) == 20
    tool.show_all.setChecked(False)

    qtbot.waitUntil(lambda: tool.image.array is not None, timeout=WAIT_MS)
    first = tool.image.array.copy()
    slider = tool.sliders[tool.order[0]]
    redraws = []
    tool.redrawn.connect(redraws.append)
    handle = slider._slider
    start = QPoint(handle.width() // 2, handle.height() // 2)
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=start)
    for x in range(start.x(), handle.width() - 2, 10):
        qtbot.mouseMove(handle, QPoint(x, start.y()))
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=QPoint(handle.width() - 2, start.y()))
    assert slider.value() > 1.0
    qtbot.waitUntil(lambda: len(redraws) > 0, timeout=WAIT_MS)
    idle(qtbot, explorer)
    assert tool.values[tool.order[0]] == pytest.approx(slider.value(), abs=1e-6)
    assert not np.array_equal(tool.image.array, first)

    tool.matrix_button.click()
    qtbot.waitUntil(lambda: tool.matrix.array is not None, timeout=WAIT_MS)
    assert tool.matrix.array.shape[:2] == (16 * 30 + 2, 7 * 30 + 2)
    save_to(monkeypatch, tmp_path / "traversal.png")
    tool.save_matrix.click()
    qtbot.waitUntil(lambda: (tmp_path / "traversal.png").exists(), timeout=WAIT_MS)


# --- map ------------------------------------------------------------------------------------
def test_map_hover_and_click_decode(qtbot, explorer, headless_run):
    open_and_wait(qtbot, explorer, headless_run)
    explorer.tabs.setCurrentWidget(explorer.map)
    tool = explorer.map
    points = explorer.analysis["points"]
    assert points.shape == (500, 2) and len(tool.scatter.points()) == 500
    assert explorer.analysis["seconds"] > 0
    assert "principal direction 1" in tool.plot.getAxis("bottom").labelText
    assert tool.manifold.image is None  # a 16-D latent has no manifold to draw

    view = tool.plot.getViewBox()
    target = QPointF(float(points[0, 0]), float(points[0, 1]))
    scene = view.mapViewToScene(target)
    pos = tool.plot.mapFromScene(scene)
    tool._hovered(tool.scatter, tool.scatter.pointsAt(target), None)
    assert tool.hovered is not None and tool.hover.pixmap() is not None
    label = explorer.info["class_names"][int(explorer.analysis["labels"][tool.hovered])]
    assert tool.hover_text.text() == f"test image {tool.hovered}, labelled {label}"
    qtbot.mouseClick(tool.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: tool.decoded.array is not None, timeout=WAIT_MS)
    x, y = tool.clicked_at
    assert abs(x - points[0, 0]) < 0.2 * np.ptp(points[:, 0])
    assert abs(y - points[0, 1]) < 0.2 * np.ptp(points[:, 1])


def test_another_run_clears_what_was_under_the_pointer(qtbot, explorer, headless_run,
                                                       generative_runs):  # fmt: skip
    open_and_wait(qtbot, explorer, headless_run)
    tool = explorer.map
    first = explorer.analysis["points"][0]
    tool._hovered(tool.scatter, tool.scatter.pointsAt(QPointF(*map(float, first))), None)
    assert not tool.hover.pixmap().isNull() and tool.hover_text.text()
    open_and_wait(qtbot, explorer, generative_runs["dcgan"])
    assert tool.hovered is None
    assert tool.hover.pixmap().isNull() and tool.hover_text.text() == ""
    points = explorer.analysis["points"]
    tool._hovered(tool.scatter, tool.scatter.pointsAt(QPointF(*map(float, points[0]))), None)
    drawn_as = explorer.info["class_names"][int(explorer.analysis["labels"][tool.hovered])]
    assert tool.hover_text.text() == f"sample {tool.hovered}, drawn as {drawn_as}"


def test_a_two_dimensional_latent_shows_its_manifold(qtbot, explorer, generative_runs):
    open_and_wait(qtbot, explorer, generative_runs["vae2"])
    tool = explorer.map
    assert tool.manifold.image is not None
    assert tool.manifold.image.shape[:2] == (15 * 28, 15 * 28)


# --- arithmetic -------------------------------------------------------------------------------
def test_arithmetic_adds_class_mean_differences(qtbot, explorer, headless_run):
    open_and_wait(qtbot, explorer, headless_run)
    tool = explorer.arithmetic
    assert tool.isEnabled() and tool.plus.currentText() == "3" and tool.minus.currentText() == "7"
    qtbot.waitUntil(lambda: tool.images[1].array is not None, timeout=WAIT_MS)
    idle(qtbot, explorer)
    tool.scale.setValue(0.0)
    idle(qtbot, explorer)
    # Adding nothing leaves the point as it is.
    assert np.array_equal(tool.images[0].array, tool.images[1].array)
    tool.scale.setValue(2.0)
    idle(qtbot, explorer)
    assert not np.array_equal(tool.images[0].array, tool.images[1].array)


# --- other kinds --------------------------------------------------------------------------
def test_a_dcgan_explores_from_seeds_and_refuses_images(qtbot, explorer, generative_runs,
                                                       tmp_path):  # fmt: skip
    open_and_wait(qtbot, explorer, generative_runs["dcgan"])
    assert not explorer.info["can_encode"]
    tool = explorer.interpolation
    qtbot.waitUntil(lambda: tool.frames is not None, timeout=WAIT_MS)
    assert not tool.start.pick.isEnabled()
    # End points can ask the conditional DCGAN for a class: morph a 3 into an 8.
    assert tool.start.label.isVisibleTo(tool.start) and tool.start.label.count() == 11
    idle(qtbot, explorer)
    before = tool.frames.copy()
    tool.start.choose_label(3)
    tool.end.choose_label(8)
    assert tool.start.spec() == {"source": "seed", "seed": 1, "label": 3}
    assert "drawn as 3" in tool.start.source.text()
    qtbot.waitUntil(lambda: not np.array_equal(tool.frames[0], before[0]), timeout=WAIT_MS)
    idle(qtbot, explorer)
    chosen = tool.frames.copy()
    tool.start.seed.setValue(5)  # another seed keeps the chosen class
    assert tool.start.spec() == {"source": "seed", "seed": 5, "label": 3}
    idle(qtbot, explorer)
    assert not np.array_equal(tool.frames[0], chosen[0])
    tool.start.choose_label(None)
    assert tool.start.spec() == {"source": "seed", "seed": 5}
    picture = tmp_path / "digit.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(picture)
    drop(tool.start, picture)
    assert "DCGAN has no encoder" in explorer.message.text()
    assert tool.start.spec()["source"] == "seed"
    assert explorer.analysis["points"].shape == (500, 2)
    # The map's samples are coloured by the class each was asked for, evenly spread.
    assert np.bincount(explorer.analysis["labels"], minlength=10).tolist() == [50] * 10
    assert "fixed noise" in explorer.map.status.text()
    assert not explorer.arithmetic.isEnabled()
    assert "no encoder" in explorer.arithmetic.note.text()
    # Trained on labelled digits, the DCGAN is conditional: 8 noise sliders and a class chooser.
    sliders = explorer.sliders
    assert len(sliders.sliders) == 8 and explorer.info["latent_dim"] == 18
    assert sliders.class_choice.isVisibleTo(sliders) and sliders.class_choice.count() == 10
    sliders.request()
    qtbot.waitUntil(lambda: sliders.image.array is not None, timeout=WAIT_MS)
    idle(qtbot, explorer)
    first = sliders.image.array.copy()
    sliders.class_choice.setCurrentIndex(7)
    idle(qtbot, explorer)
    assert sliders.values[8:].tolist() == [0.0] * 7 + [1.0, 0.0, 0.0]
    assert not np.array_equal(sliders.image.array, first)
    sliders.randomise.click()  # new noise, the same class
    assert sliders.values[15] == 1.0 and sliders.values[:8].any()


def test_a_classifier_run_is_refused_with_a_reason(qtbot, explorer, generative_runs):
    explorer.show_run(generative_runs["cnn"])
    qtbot.waitUntil(lambda: "no latent space" in explorer.empty.text(), timeout=WAIT_MS)
    assert explorer.stack.currentWidget() is explorer.empty and explorer.info is None
    # Said once, where the tools would be (not again above them, nor in the status bar).
    assert "choose a VAE, DCGAN" in explorer.empty.text()
    assert explorer.message.text() == ""


# --- in the window -------------------------------------------------------------------------
def test_the_window_opens_the_run_on_the_latent_page(qtbot, window, headless_run):
    open_run_and_wait(qtbot, window, headless_run)
    page = window.latent_explorer
    assert page.info is None  # not loaded while another page is shown
    window.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.analysis is not None, timeout=WAIT_MS)
    assert page.chooser.currentData() == str(headless_run)
    idle(qtbot, page)
