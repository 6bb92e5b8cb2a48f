"""The Latent space page as a person reads it: a traversal matrix large enough to see, with
each row saying its dimension; a four-corner grid that fills its space; map colours that tell
ten classes apart; a test-image picker that shows classes and filters by them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor

from studio.latent import endpoint as latent_endpoint
from studio.latent.endpoint import EndPoint
from studio.latent.interpolation import CornerGridTool
from studio.latent.map_view import LatentMapTool
from studio.latent.sliders import SlidersTool
from studio.latent.traversal import LABEL_WIDTH
from studio.palette import TAB10

CLASSES = [str(digit) for digit in range(10)]
TILE = 28


def host():
    """What the explorer offers its tools; jobs are only recorded (the tests hand results)."""
    return SimpleNamespace(notify=lambda message: None, run_job=lambda *a: None)


def info(latent_dim=4) -> dict:
    return {"latent_dim": latent_dim, "can_encode": True, "title": "model", "class_names": CLASSES}


def shown(qtbot, tool, width=1000, height=560):
    qtbot.addWidget(tool)
    tool.resize(width, height)
    tool.show()
    qtbot.waitExposed(tool)
    return tool


def lab(colour: QColor) -> np.ndarray:
    """CIE L*a*b* (D65): distances in it follow how different two colours look."""
    rgb = np.array([colour.redF(), colour.greenF(), colour.blueF()])
    rgb = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    x, y, z = (xyz @ rgb) / np.array([0.95047, 1.0, 1.08883])
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ink_in(image, rect: QRect, background: QColor) -> int:
    """Pixels in `rect` that differ from the background: something (text) is drawn there."""
    return sum(
        image.pixelColor(x, y) != background
        for x in range(rect.left(), rect.right())
        for y in range(rect.top(), rect.bottom())
    )


def test_latent_traversal_matrix_is_drawn_large_with_row_labels(qtbot):
    tool = shown(qtbot, SlidersTool(host()))
    tool.set_model(info())
    kl = np.array([0.5, 0.2, 1.5, 0.001])
    tool.set_analysis({"kl": kl, "order": [2, 0, 1, 3], "unused": [False, False, False, True]})
    dims, values = [2, 0, 1, 3], [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    # Each tile one grey, so what is drawn where can be checked.
    greys = (np.arange(len(dims) * len(values)) * 8 + 20).astype(np.uint8)
    images = np.broadcast_to(greys[:, None, None, None], (len(greys), TILE, TILE, 1)).copy()
    grid = np.zeros((4 * 30 + 2, 7 * 30 + 2, 1), np.uint8)
    tool.on_result("matrix", {"images": images, "grid": grid, "dims": dims, "values": values})
    matrix = tool.matrix
    assert matrix.rows == ["z2", "z0", "z1", "z3 (unused)"]  # which dimension each row is
    assert matrix.columns == ["-3", "-2", "-1", "0", "+1", "+2", "+3"]
    qtbot.waitUntil(lambda: matrix.isVisible() and matrix.width() > 300)
    picture = matrix.grab().toImage()
    background = picture.pixelColor(matrix.width() - 2, matrix.height() - 2)
    for row in range(len(dims)):
        for column in range(len(values)):
            rect = matrix.tile_rect(row, column)
            # At least twice the decoded size (it was ~14 px for a 28 px tile).
            assert rect.width() >= 2 * TILE and rect.height() >= 2 * TILE
            expected = int(greys[row * len(values) + column])
            assert picture.pixelColor(rect.center()).red() == expected
        label = QRect(0, matrix.tile_rect(row, 0).top(), LABEL_WIDTH - 6, 2 * TILE)
        assert ink_in(picture, label, background) > 10  # its label is drawn beside the row
    assert matrix.array is grid  # "Save matrix..." still writes the plain grid
    # More rows than fit scroll rather than shrink.
    assert matrix.minimumHeight() >= matrix.tile_rect(3, 0).bottom()


def test_latent_corner_grid_fills_its_space(qtbot):
    tool = shown(qtbot, CornerGridTool(host()))
    tool.set_model(info())
    grid = np.full((8 * 30 + 2, 8 * 30 + 2, 1), 200, np.uint8)  # eight digits a side
    tool.on_result("grid", {"grid": grid})
    label = tool.grid
    space = min(label.width(), label.height())
    # The case that was drawn at 1x in a large empty area: between one and two grids' size.
    assert 1.5 * grid.shape[0] < space < 2 * grid.shape[0]
    pixmap = label.pixmap()
    drawn = pixmap.width() / pixmap.devicePixelRatio()
    assert drawn >= 0.95 * space


def test_latent_map_palette_tells_ten_classes_apart(qtbot):
    tool = shown(qtbot, LatentMapTool(host()))
    tool.set_model(info())
    labels = np.repeat(np.arange(10), 5)
    points = np.random.default_rng(0).standard_normal((len(labels), 2)).astype(np.float32)
    tool.set_analysis({
        "points": points, "labels": labels, "variance": (0.3, 0.2), "source": "50 test images",
        "seconds": 0.01,
    })  # fmt: skip
    brushes = tool.scatter.data["brush"]
    colours = {int(label): brushes[i].color() for i, label in enumerate(labels)}
    assert [colours[c].name() for c in range(10)] == [c.lower() for c in TAB10]
    # 2, 3, 4 and 5 were four greens and yellows of one hue circle; now clearly different.
    near = [lab(colours[c]) for c in (2, 3, 4, 5)]
    closest = min(np.linalg.norm(a - b) for i, a in enumerate(near) for b in near[i + 1 :])
    assert closest > 40
    # The legend beside the map shows the same colours, one per class.
    for c in range(10):
        assert colours[c].name() in tool.legend.text()


def test_latent_test_image_picker_shows_classes_and_filters(qtbot):
    labels = np.array([3, 7, 7, 1, 3, 7, 0, 9])
    images = np.zeros((len(labels), TILE, TILE, 1), np.uint8)
    dialog = latent_endpoint.TestGallery(images, labels, CLASSES)
    qtbot.addWidget(dialog)
    # Each thumbnail says its class.
    assert [dialog.list.item(i).text() for i in range(len(labels))] == [str(v) for v in labels]
    # Filter by class: only the sevens stay, and picking one gives its index in the test set.
    dialog.classes.setCurrentIndex(dialog.classes.findData(7))
    visible = [i for i in range(len(labels)) if not dialog.list.item(i).isHidden()]
    assert visible == [1, 2, 5]
    assert "3" in dialog.classes.currentText() and dialog.shown.text() == "3 test images"
    dialog.list.setCurrentRow(5)
    assert dialog.chosen() == 5
    dialog.classes.setCurrentIndex(dialog.classes.findData(3))
    assert dialog.chosen() is None  # the picked seven is filtered away: nothing picked
    dialog.classes.setCurrentIndex(0)
    assert all(not dialog.list.item(i).isHidden() for i in range(len(labels)))
    # The end point, once a test image is picked, says which class it is.
    end = EndPoint("Start", seed=1)
    qtbot.addWidget(end)
    end.set_capabilities(True, "model")
    end.gallery = {"images": images, "labels": labels, "class_names": CLASSES}
    end.set_test_image(1)
    assert "test image 1, labelled 7" in end.source.text()
