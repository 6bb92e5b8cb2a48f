"""The Classify table as a person reads it: names elided in the middle with the whole text on
hover, files of one name told apart by their folder, new rows followed down unless the person
scrolled up, and a word on why a clean digit's probability stops near 91-93 %."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from studio_helpers import WAIT_MS

from models.inference.file_results import FileResult
from studio.classify.details import RowDetails
from studio.classify.table import CONFIDENCE, FILE, FOLDER_ROLE, NOTES, ResultsFilter, ResultsModel
from studio.classify.table_view import FileCell, ResultsTable

# The Classify page's fixtures: a classifier run trained by the engine, the page showing it.
from tests.studio.test_classify_panel import cnn_run, digits, panel, save_digits  # noqa: F401

ELLIPSIS = "…"


def result(path: str, label: str = "7", p: float = 0.91, **extra) -> FileResult:
    pixels = np.zeros((28, 28, 1), np.uint8)
    return FileResult(
        path, (label, "1"), (p, 0.02), entropy=0.6, pixels=pixels, thumbnail=pixels, **extra
    )


def table_of(qtbot, results=(), height=300) -> tuple[ResultsTable, ResultsModel]:
    model = ResultsModel()
    proxy = ResultsFilter()
    proxy.setSourceModel(model)
    table = ResultsTable(proxy)
    qtbot.addWidget(table)
    table.resize(700, height)
    table.show()
    model.append(list(results))
    return table, model


def drawn_lines(table: ResultsTable, row: int, width: int | None = None) -> tuple[str, str]:
    """The two lines the File cell draws: the name, and under it the folder."""
    index = table.model().index(row, FILE)
    option = QStyleOptionViewItem()
    option.initFrom(table)
    option.rect = QRect(0, 0, width or table.columnWidth(FILE), 60)
    delegate = table.itemDelegateForColumn(FILE)
    assert isinstance(delegate, FileCell)
    return delegate.lines(
        option, index.data(Qt.ItemDataRole.DisplayRole), index.data(FOLDER_ROLE) or ""
    )


def test_classify_table_shows_full_path_on_hover(qtbot, tmp_path):
    first = str(tmp_path / "scans" / "march" / "seven.png")
    second = str(tmp_path / "photos" / "seven.png")
    table, _ = table_of(qtbot, [result(first), result(second)])
    model = table.model()
    assert model.index(0, FILE).data(Qt.ItemDataRole.ToolTipRole) == first
    assert model.index(1, FILE).data(Qt.ItemDataRole.ToolTipRole) == second
    # Under each name its folder, so the two "seven.png" rows no longer look the same.
    (name_a, folder_a), (name_b, folder_b) = drawn_lines(table, 0), drawn_lines(table, 1)
    assert name_a == name_b == "seven.png"
    assert folder_a != folder_b
    assert folder_a.endswith("march") and folder_b.endswith("photos")
    # A folder under the person's home is written from "~".
    assert model.index(0, FILE).data(FOLDER_ROLE) == str(Path(first).parent)
    home = ResultsModel()
    home.append([result(str(Path.home() / "digits" / "seven.png"))])
    assert home.index(0, FILE).data(FOLDER_ROLE) == str(Path("~") / "digits")
    # A pasted image has no folder to show.
    home.append([result("pasted image 1 (28x28)")])
    assert home.index(1, FILE).data(FOLDER_ROLE) == ""


def test_classify_table_elides_names_and_notes_in_the_middle(qtbot, tmp_path):
    name = "handwriting-sample-from-the-second-notebook-page-14.png"
    steps = ("inverted (its background is the opposite of the training images')",)
    table, _ = table_of(qtbot, [result(str(tmp_path / name), inverted=True, steps=steps)])
    drawn, _ = drawn_lines(table, 0, width=120)
    # The start and the end (its number, its type) stay; the middle gives way.
    assert ELLIPSIS in drawn and drawn.startswith("hand") and drawn.endswith(".png")
    assert table.textElideMode() == Qt.TextElideMode.ElideMiddle
    # Notes wrap over the row's three lines before anything is cut; the tooltip has it all.
    notes = table.model().index(0, NOTES)
    option = QStyleOptionViewItem()
    table.itemDelegateForColumn(NOTES).initStyleOption(option, notes)
    assert option.features & QStyleOptionViewItem.ViewItemFeature.WrapText
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    tip = notes.data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("inverted:") and steps[0] in tip
    # The file's column is wide enough for a usual name, and the notes column is not squeezed.
    assert table.columnWidth(FILE) >= 140 and table.columnWidth(NOTES) >= 80


def test_classify_table_follows_new_rows_unless_scrolled_up(qtbot, tmp_path):
    table, model = table_of(qtbot, height=240)
    bar = table.verticalScrollBar()
    for batch in range(4):
        model.append([result(str(tmp_path / f"{batch}-{i}.png")) for i in range(5)])
        assert bar.maximum() > 0 or batch == 0
        assert bar.value() == bar.maximum()  # the newest row is in view
    last = table.model().index(table.model().rowCount() - 1, FILE)
    assert table.viewport().rect().contains(table.visualRect(last).center())
    # The person scrolls up to read earlier rows: new ones no longer pull the view down.
    bar.setValue(0)
    model.append([result(str(tmp_path / f"late-{i}.png")) for i in range(5)])
    assert bar.value() == 0
    # Back at the bottom, following resumes.
    bar.setValue(bar.maximum())
    model.append([result(str(tmp_path / f"later-{i}.png")) for i in range(5)])
    assert bar.value() == bar.maximum()


def test_classify_table_says_why_a_clean_digit_tops_out_near_93(qtbot):
    info = SimpleNamespace(class_names=tuple("0123456789"), label_smoothing=0.1)
    model = ResultsModel()
    model.set_classifier(info)
    model.append([result("/digits/seven.png", p=0.93)])
    tip = model.index(0, CONFIDENCE).data(Qt.ItemDataRole.ToolTipRole)
    assert "label smoothing 0.1" in tip and "about 91%" in tip and "93.0%" in tip
    details = RowDetails()
    qtbot.addWidget(details)
    details.show()
    details.set_classifier(info)
    details.show_result(model.results[0])
    assert details.smoothing.isVisible() and "label smoothing 0.1" in details.smoothing.text()
    # Trained without it, nothing to explain.
    model.set_classifier(SimpleNamespace(class_names=info.class_names, label_smoothing=0.0))
    assert "smoothing" not in model.index(0, CONFIDENCE).data(Qt.ItemDataRole.ToolTipRole)
    details.set_classifier(SimpleNamespace(class_names=info.class_names, label_smoothing=0.0))
    details.show_result(model.results[0])
    assert not details.smoothing.isVisible()


def test_classify_page_shows_folders_and_the_smoothing_note_for_a_real_run(
    request, tmp_path, qtbot
):
    """From a classifier run trained by the engine: same-named files from two folders, the
    label smoothing its config holds said beside a selected row."""
    from models.runs.folder import Run

    # Fixtures of the Classify page's tests, asked for by name (imported above).
    page, run_dir = request.getfixturevalue("panel"), request.getfixturevalue("cnn_run")
    images, labels = request.getfixturevalue("digits")
    paths = save_digits(tmp_path / "left", images[:3], labels[:3])
    paths += save_digits(tmp_path / "right", images[3:6], labels[:3])  # the same names
    page.classify_paths([str(p) for p in paths])
    qtbot.waitUntil(lambda: not page._active, timeout=WAIT_MS)
    model = page.table.model()
    assert model.rowCount() == 6
    folders = {model.index(row, FILE).data(FOLDER_ROLE) for row in range(6)}
    assert folders == {str(tmp_path / "left"), str(tmp_path / "right")}
    page.table.selectRow(0)
    smoothing = Run.open(run_dir).config["hyperparameters"]["label_smoothing"]
    assert smoothing > 0
    assert page.details.smoothing.isVisibleTo(page.details)
    assert f"label smoothing {smoothing:g}" in page.details.smoothing.text()
    tip = model.index(0, CONFIDENCE).data(Qt.ItemDataRole.ToolTipRole)
    assert f"label smoothing {smoothing:g}" in tip
    page.tasks.cancel("nearest")
    qtbot.waitUntil(lambda: not page.tasks.is_pending("nearest"), timeout=WAIT_MS)
