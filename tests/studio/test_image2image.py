"""The Image to image page: the before/after split follows a real mouse drag, views zoom and pan
in step, a style job runs from the page with its losses plotted (pause and stop work), and an
upscaler run is applied with the bicubic enlargement beside it, and the result saved."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from studio_helpers import WAIT_MS, quick_run

from studio.image2image.compare_view import BeforeAfterView, ZoomPan
from studio.image2image.page import STYLE_JOB, Image2ImagePage

BLACK, WHITE = (0, 0, 0), (255, 255, 255)


def colour_at(widget, x: int, y: int) -> tuple[int, int, int]:
    colour = widget.grab().toImage().pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


@pytest.fixture
def split_view(qtbot):
    view = BeforeAfterView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.set_pictures(np.zeros((100, 100, 3), np.uint8), np.full((100, 100, 3), 255, np.uint8))
    view.set_labels("", "")
    view.show()
    qtbot.waitExposed(view)
    return view


def test_dragging_the_split_with_the_mouse_moves_it_and_what_is_drawn(qtbot, split_view):
    view = split_view
    assert view.split_x() == 200
    assert colour_at(view, 250, 150) == WHITE  # right of the split: the output
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(201, 150))
    qtbot.mouseMove(view, QPoint(260, 150))
    qtbot.mouseMove(view, QPoint(300, 150))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 150))
    assert view.split == pytest.approx(0.75)
    assert colour_at(view, 250, 150) == BLACK  # now left of it: the input
    assert colour_at(view, 320, 150) == WHITE


def test_a_drag_away_from_the_split_pans_and_keeps_the_split(qtbot, split_view):
    view = split_view
    before = view.target()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 150))
    qtbot.mouseMove(view, QPoint(130, 160))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(130, 160))
    assert view.split == 0.5
    moved = view.target().topLeft() - before.topLeft()
    assert (round(moved.x()), round(moved.y())) == (30, 10)


def wheel(widget, x: int, y: int, clicks: int) -> None:
    position = QPointF(x, y)
    event = QWheelEvent(position, widget.mapToGlobal(position), QPoint(), QPoint(0, 120 * clicks),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_views_sharing_a_zoom_pan_zoom_and_pan_in_step(qtbot):
    shared = ZoomPan()
    views = [BeforeAfterView(shared), BeforeAfterView(shared)]
    small, large = np.zeros((20, 30, 3), np.uint8), np.full((40, 60, 3), 200, np.uint8)
    for view in views:
        qtbot.addWidget(view)
        view.resize(300, 200)
        view.set_pictures(small, large)
        view.show()
    first, second = views
    fitted = first.scale()
    wheel(first, 150, 100, 2)
    assert first.scale() == pytest.approx(fitted * 1.25**2)
    assert second.scale() == first.scale() and second.target() == first.target()
    qtbot.mousePress(second, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    qtbot.mouseMove(second, QPoint(60, 20))
    qtbot.mouseRelease(second, Qt.MouseButton.LeftButton, pos=QPoint(60, 20))
    assert first.target() == second.target()
    first.mouseDoubleClickEvent(_Accepting())
    assert first.scale() == pytest.approx(fitted) and second.scale() == pytest.approx(fitted)


class _Accepting:
    def accept(self) -> None:
        pass


@pytest.fixture
def page(qtbot, catalog, runs_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no VGG weights: offline
    page = Image2ImagePage(runs_dir)
    qtbot.addWidget(page)
    page.set_catalog(catalog)
    page.resize(1000, 640)
    page.show()
    yield page
    page.shutdown()


def picture(tmp_path, name: str, size=(40, 32), seed=0):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    pixels[:, : size[0] // 2] //= 3  # an edge down the middle
    path = tmp_path / name
    Image.fromarray(pixels).save(path)
    return path, pixels


def load_both(qtbot, page, tmp_path):
    content, _ = picture(tmp_path, "photo.png", seed=1)
    style, _ = picture(tmp_path, "painting.png", size=(32, 32), seed=2)
    page.open_input(content)
    page.open_style(style)
    qtbot.waitUntil(lambda: page.input_pixels is not None and page.style_pixels is not None,
                    timeout=WAIT_MS)  # fmt: skip
    page.choose_style_job()
    assert page.job.currentText() == STYLE_JOB and page.controls.currentIndex() == 1


def test_a_style_job_runs_from_the_page_and_plots_its_losses(qtbot, page, tmp_path):
    load_both(qtbot, page, tmp_path)
    controls = page.style_controls
    controls.steps.setValue(6)
    controls.size.setValue(32)
    qtbot.mouseClick(controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.runner.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=WAIT_MS)
    assert page.chart.points() == 6
    assert len(page.chart.values["style"]) == 6 and page.chart.values["style"][-1] > 0
    assert "random multi-scale network" in controls.network_label.text()
    assert "completed after 6 steps" in page.last_message
    assert page.output is not None and page.output.shape == (24, 32, 3)
    assert page.view.after is not None and page.save_button.isEnabled()
    assert controls.start_button.isEnabled() and not controls.stop_button.isEnabled()


def test_pause_holds_and_stop_ends_a_style_job(qtbot, page, tmp_path):
    load_both(qtbot, page, tmp_path)
    controls = page.style_controls
    controls.steps.setValue(100_000)
    controls.size.setValue(32)
    qtbot.mouseClick(controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.chart.points() >= 2, timeout=WAIT_MS)
    qtbot.mouseClick(controls.pause_button, Qt.MouseButton.LeftButton)
    assert controls.pause_button.text() == "Resume"
    held = page.chart.points()
    qtbot.wait(300)  # an iteration in hand when Pause was pressed may still land
    held = page.chart.points()
    qtbot.wait(500)
    assert page.chart.points() == held
    qtbot.mouseClick(controls.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.chart.points() > held, timeout=WAIT_MS)
    qtbot.mouseClick(controls.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=WAIT_MS)
    assert "stopped" in page.last_message
    assert page.output is not None and controls.start_button.isEnabled()


def image_to_image_kind(catalog) -> str:
    from models.kinds.description import IMAGE_TO_IMAGE

    kinds = [name for name, info in catalog.kinds.items() if info.has(IMAGE_TO_IMAGE)]
    assert kinds, "no kind turns images into images"
    return kinds[0]


def test_an_upscaler_run_is_applied_beside_bicubic_and_saved(qtbot, page, tmp_path, catalog):
    run_dir = quick_run(page.runs_dir, image_to_image_kind(catalog),
                        {"batch_size": 8, "width": 8, "factor": 2})  # fmt: skip
    assert page.style_mode  # nothing else to offer before the run existed
    page.refresh_runs()
    qtbot.waitUntil(lambda: page.job.count() == 2, timeout=WAIT_MS)
    # Nobody had picked a job: the new run is offered first; a picked job survives a listing.
    assert page.job.currentData() == str(run_dir) and not page.style_mode
    page.choose_style_job()
    page.set_listed_runs(page.listed)
    assert page.style_mode
    assert page.choose_run(run_dir) and not page.style_mode
    assert page.controls.currentIndex() == 0 and page.side.currentWidget() is page.bicubic_view
    path, _ = picture(tmp_path, "small.png")
    page.open_input(path)
    qtbot.waitUntil(lambda: page.input_pixels is not None, timeout=WAIT_MS)
    qtbot.mouseClick(page.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.output is not None, timeout=WAIT_MS)
    assert page.output.shape == (64, 80, 3)
    bicubic = page.bicubic_view.after
    assert (bicubic.width(), bicubic.height()) == (80, 64)
    assert page.view.before is not None and page.view.frame_size() == (80, 64)
    assert "Enlarged 2 times" in page.last_message
    target = tmp_path / "saved" / "big.png"
    page.save_to(target)
    qtbot.waitUntil(lambda: "Saved big.png" in page.last_message, timeout=WAIT_MS)
    assert np.array_equal(np.array(Image.open(target)), page.output)


def test_a_broken_picture_is_one_line_and_nothing_else_changes(qtbot, page, tmp_path):
    good, _ = picture(tmp_path, "good.png")
    page.open_input(good)
    qtbot.waitUntil(lambda: page.input_pixels is not None, timeout=WAIT_MS)
    shown = page.input_pixels
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    page.open_input(broken)
    qtbot.waitUntil(lambda: page.last_message.startswith("Cannot open"), timeout=WAIT_MS)
    assert "\n" not in page.last_message and page.input_pixels is shown


def test_the_window_has_the_page_and_closes_its_workers(qtbot, window):
    page = window.image_page
    titles = [window.pages.tabText(i).replace("&", "") for i in range(window.pages.count())]
    assert "Image to image" in titles
    window.pages.setCurrentWidget(page)
    assert window.pages.currentWidget() is page
    assert page.catalog is window.train_panel.catalog  # the role's runs come from the catalog
    assert page.job.currentText() == STYLE_JOB  # no runs yet: only the style job is offered


def drop(widget, paths) -> None:
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    # As a real drag: the page must accept the drag's entry before Qt hands it the drop.
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_a_photo_and_a_painting_dropped_together_set_up_the_style_job(qtbot, page, tmp_path):
    photo, photo_pixels = picture(tmp_path, "photo.png", seed=3)
    painting, painting_pixels = picture(tmp_path, "painting.png", size=(24, 24), seed=4)
    drop(page, [photo, painting])
    qtbot.waitUntil(lambda: page.input_pixels is not None and page.style_pixels is not None,
                    timeout=WAIT_MS)  # fmt: skip
    assert np.array_equal(page.input_pixels, photo_pixels)
    assert np.array_equal(page.style_pixels, painting_pixels)
    assert page.style_mode and page.input_label.text().startswith("photo.png")
