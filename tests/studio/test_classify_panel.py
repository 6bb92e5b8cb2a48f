"""The Classify page from the window: files, folders and clipboard images dropped or pasted,
bad files among good ones, cancel, sort, filter, CSV export, nearest training images, and the
test-set confusion matrix whose cells open their images."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QFileDialog
from studio_helpers import WAIT_MS

from studio.classify.classifier_runs import NO_CLASSIFIER
from studio.classify.jobs import ResultRows
from studio.classify.table import CONFIDENCE, FAILED, NOTES, PREDICTION
from tests.models.test_images import write_bad_files


@pytest.fixture(scope="session")
def cnn_run(tmp_path_factory) -> Path:
    """A tiny classifier trained for one epoch by the engine, as the command line makes one."""
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    root = tmp_path_factory.mktemp("cnn-runs")
    request = TrainRequest(
        "cnn", "mnist-5k", {"batch_size": 32, "width": 8, "learning_rate": 0.1}, epochs=1,
        device="cpu", sample_every=1000, runs_dir=root,
    )  # fmt: skip
    seen = list(Trainer(request).run())
    started = next(r for r in seen if isinstance(r, reports.Started))
    return Path(started.run_dir)


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    from models.data.datasets import load_mnist_5k

    dataset = load_mnist_5k()
    return dataset.test_images[:, 0].numpy(), dataset.test_labels.numpy()


@pytest.fixture
def panel(window, cnn_run, qtbot):
    panel = window.classify_panel
    panel.set_current_run(str(cnn_run), "cnn")
    qtbot.waitUntil(lambda: panel.message.text() != "Loading the classifier...", timeout=WAIT_MS)
    assert "10 classes" in panel.message.text()
    return panel


def save_digits(folder: Path, images, labels, invert=False, colour=False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        picture = Image.fromarray(255 - image if invert else image)
        if colour:  # a blue pen on yellowish paper, larger than the training images
            rgb = np.stack([255 - image // 2, 255 - image // 3, 200 - image * 200 // 255], -1)
            picture = Image.fromarray(rgb.astype(np.uint8)).resize((90, 70))
        path = folder / f"{index:03d}-{label}.png"
        picture.save(path)
        paths.append(path)
    return paths


def drop(widget, paths=(), image: QImage | None = None) -> None:
    """A drag entering `widget` and dropped, as Qt delivers one from a file manager: the
    enter event goes up the parents to the first widget that accepts it, and the drop follows
    to that widget."""
    mime = QMimeData()
    if paths:
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    if image is not None:
        mime.setImageData(image)
    buttons, keys = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "no widget took the drag"
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, buttons, keys)
    QApplication.sendEvent(widget, event)
    assert event.isAccepted(), "the drop was not taken"


def wait_until_idle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel._active, timeout=WAIT_MS)


def rows(panel) -> list:
    return list(panel.results.results)


def shown(panel, column: int, role=Qt.ItemDataRole.DisplayRole) -> list:
    proxy = panel.proxy
    return [proxy.index(row, column).data(role) for row in range(proxy.rowCount())]


def action(window, text: str):
    for menu in window.menuBar().findChildren(type(window.menuBar().actions()[0].menu())):
        for item in menu.actions():
            if item.text().replace("&", "") == text:
                return item
    raise AssertionError(f"no menu item {text}")


def test_files_and_folders_dropped_on_the_window_are_classified(
    window, panel, qtbot, tmp_path, digits
):
    images, labels = digits
    plain = save_digits(tmp_path / "scans" / "plain", images[:12], labels[:12])
    paper = save_digits(tmp_path / "scans" / "paper", images[:12], labels[:12], invert=True)
    colour = save_digits(tmp_path / "colour", images[12:16], labels[12:16], colour=True)
    bad = write_bad_files(tmp_path / "scans" / "bad", images[0])
    window.pages.setCurrentIndex(0)

    # Dropped on the loss plot (no drop target of its own): the window takes it.
    drop(window.loss_plot, [tmp_path / "scans", *colour, bad["eps"]])
    wait_until_idle(qtbot, panel)

    assert window.pages.currentWidget() is panel
    results = {r.path: r for r in rows(panel)}
    # The folder's images (recursively; the .eps inside is not an image name) and each file.
    expected = {str(p) for p in [*plain, *paper, *colour, bad["eps"]]}
    expected |= {str(p) for k, p in bad.items() if k != "eps"}
    assert set(results) == expected
    for path in map(str, bad.values()):
        assert results[path].reason and "\n" not in results[path].reason
    assert "empty file" in results[str(bad["empty"])].reason
    assert "decompression bomb" in results[str(bad["bomb"])].reason
    assert "not an image" in results[str(bad["text"])].reason
    assert "damaged" in results[str(bad["truncated"])].reason
    assert f"{len(bad)} could not be classified" in panel.summary.text()
    # The reason is in plain view: in the wide Prediction column, not only in Notes.
    reasons = [r for r in shown(panel, PREDICTION) if r and "empty file" in r]
    assert reasons == [results[str(bad["empty"])].reason]
    assert panel.progress.value() == panel.progress.maximum() == len(expected)
    # Dark digits on white paper are inverted, shown as such, and read like the originals.
    for original, flipped in zip(plain, paper, strict=True):
        assert not results[str(original)].inverted and results[str(flipped)].inverted
        assert results[str(flipped)].label == results[str(original)].label
    # A coloured file may also have its levels stretched: its note then names both.
    notes = shown(panel, NOTES)
    assert sum("inverted" in note for note in notes) == len(paper) + len(colour)
    correct = sum(results[str(p)].label == p.stem.split("-")[1] for p in plain)
    assert correct >= 8, f"only {correct} of 12 digits right"
    # Colour files at odd sizes reach the model as 28x28 grayscale, thumbnails keep colour.
    for path in colour:
        result = results[str(path)]
        assert result.pixels.shape == (28, 28, 1) and result.thumbnail.shape[2] == 3
        assert any("resized 90x70" in step for step in result.steps)
    # Every row draws: thumbnails, model input and bars.
    panel.table.viewport().repaint()
    pictures = shown(panel, 2, Qt.ItemDataRole.DecorationRole)
    assert sum(p is not None for p in pictures) == len(expected) - len(bad)


def test_the_train_panel_keeps_folder_drops_and_passes_files_on(
    window, panel, qtbot, tmp_path, digits
):
    images, labels = digits
    folder = tmp_path / "my digits"
    files = save_digits(folder, images[:3], labels[:3])
    drop(window.train_panel, [folder])
    assert window.train_panel.dataset.currentData() == f"folder:{folder}"
    assert rows(panel) == [] and not panel._active

    drop(window.train_panel, files[:2])  # files are not a dataset: they are classified
    wait_until_idle(qtbot, panel)
    assert [r.path for r in rows(panel)] == [str(p) for p in files[:2]]


def test_a_pasted_clipboard_image_is_classified(window, panel, qtbot, digits):
    images, _ = digits
    digit = np.ascontiguousarray(255 - images[7])  # dark on white, like a screenshot
    image = QImage(digit.data, 28, 28, 28, QImage.Format.Format_Grayscale8).scaled(84, 84).copy()
    QGuiApplication.clipboard().setImage(image)
    window.pages.setCurrentIndex(0)

    action(window, "Paste image to classify").trigger()
    wait_until_idle(qtbot, panel)

    (result,) = rows(panel)
    assert window.pages.currentWidget() is panel
    assert result.path == "pasted image 1 (84x84)"
    assert result.ok and result.inverted
    assert any("resized 84x84 to 28x28" in step for step in result.steps)

    drop(panel, image=image)  # an image dragged from a browser arrives the same way
    wait_until_idle(qtbot, panel)
    assert [r.label for r in rows(panel)] == [result.label] * 2


def test_files_chosen_in_the_file_dialog_are_classified(
    window, panel, qtbot, tmp_path, digits, monkeypatch
):
    images, labels = digits
    files = save_digits(tmp_path / "chosen", images[:4], labels[:4])
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(p) for p in files], "")
    )
    action(window, "Classify files...").trigger()
    wait_until_idle(qtbot, panel)
    assert [r.path for r in rows(panel)] == [str(p) for p in files]
    assert panel.settings.classify_folder() == tmp_path / "chosen"  # remembered


def test_cancel_half_way_keeps_the_rows_so_far(panel, qtbot, tmp_path, digits):
    images, labels = digits
    save_digits(tmp_path / "many", images[:400], labels[:400])
    cancelled_at = []

    def cancel_on_first_rows(name, value):
        if isinstance(value, ResultRows) and not cancelled_at:
            cancelled_at.append(len(rows(panel)))
            panel.cancel_button.click()

    panel.tasks.item.connect(cancel_on_first_rows)
    panel.classify_paths([str(tmp_path / "many")])
    wait_until_idle(qtbot, panel)
    assert 0 < len(rows(panel)) < 400
    assert "(cancelled)" in panel.summary.text()
    assert not panel.cancel_button.isEnabled()


def test_sort_by_confidence_and_filter_by_label(panel, qtbot, tmp_path, digits):
    images, labels = digits
    files = save_digits(tmp_path / "digits", images[::10][:30], labels[::10][:30])
    (tmp_path / "digits" / "broken.png").write_bytes(b"\x89PNG not really")
    panel.classify_paths([str(tmp_path / "digits")])
    wait_until_idle(qtbot, panel)
    assert len(rows(panel)) == len(files) + 1

    panel.table.horizontalHeader().setSortIndicator(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    confidence = [r.probability for r in map(panel.results.results.__getitem__, source_rows(panel))]
    assert confidence[-1] is None  # the file that could not be classified sorts last
    assert confidence[:-1] == sorted(confidence[:-1], reverse=True)

    label = rows(panel)[0].label
    panel.label_filter.setCurrentIndex(panel.label_filter.findData(label))
    assert panel.proxy.rowCount() == sum(r.label == label for r in rows(panel)) > 0
    assert all(text.startswith(label) for text in shown(panel, PREDICTION))
    panel.label_filter.setCurrentIndex(panel.label_filter.findData(FAILED))
    assert panel.proxy.rowCount() == 1
    panel.label_filter.setCurrentIndex(0)
    assert panel.proxy.rowCount() == len(rows(panel))


def source_rows(panel) -> list[int]:
    proxy = panel.proxy
    return [proxy.mapToSource(proxy.index(row, 0)).row() for row in range(proxy.rowCount())]


def test_export_csv_has_every_row_and_reasons(panel, qtbot, tmp_path, digits, monkeypatch):
    images, labels = digits
    files = save_digits(tmp_path / "in", images[:5], labels[:5])
    empty = tmp_path / "in" / "empty.png"
    empty.write_bytes(b"")
    panel.classify_paths([str(p) for p in [*files, empty]])
    wait_until_idle(qtbot, panel)
    out = tmp_path / "out" / "results.csv"
    out.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))

    panel.export_button.click()

    with open(out, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [row["path"] for row in table] == [str(p) for p in [*files, empty]]
    assert list(table[0]) == ["path", "label", "probability", "label_2", "probability_2",
                              "label_3", "probability_3", "reason"]  # fmt: skip
    for row, result in zip(table[:5], rows(panel)[:5], strict=True):
        assert row["label"] == result.label and row["reason"] == ""
        assert float(row["probability"]) == pytest.approx(result.probability, abs=1e-4)
    assert "empty file" in table[5]["reason"] and table[5]["label"] == ""
    assert "Wrote 6 rows" in panel.message.text()


def test_a_selected_row_shows_the_nearest_training_images(panel, qtbot, tmp_path, digits):
    images, labels = digits
    files = save_digits(tmp_path / "one", images[:2], labels[:2])
    panel.classify_paths([str(p) for p in files])
    wait_until_idle(qtbot, panel)
    panel.table.selectRow(0)
    details = panel.details
    qtbot.waitUntil(lambda: details.neighbour_captions[2].text() != "", timeout=WAIT_MS)
    assert details.key == str(files[0])
    assert all(details.neighbour_images[i].pixmap() is not None for i in range(3))
    first = details.neighbour_captions[0].text()
    assert first.split()[0] in "0123456789"
    assert str(files[0]) in details.title.text()


def test_test_set_evaluation_and_a_confusion_cell_opens_its_images(window, panel, qtbot):
    window.resize(1280, 800)
    view = panel.confusion
    view.evaluate_button.click()
    qtbot.waitUntil(lambda: view.result is not None, timeout=WAIT_MS)
    evaluation = view.result.evaluation
    assert int(evaluation.confusion.sum()) == 500  # mnist-5k's test split
    assert f"accuracy {evaluation.accuracy:.1%}" in view.summary.text()
    assert view.matrix.rowCount() == view.matrix.columnCount() == 10
    assert view.per_class.rowCount() == 10
    assert view.per_class.item(3, 1).text() == f"{evaluation.recall[3]:.1%}"
    # Every class's row is in view in a laptop window, with no scrolling.
    last = view.matrix.rowViewportPosition(9) + view.matrix.rowHeight(9)
    assert last <= view.matrix.viewport().height()
    assert "Click a cell" in view.gallery_title.text()
    # The largest mistake: click its cell and see exactly its images.
    off = evaluation.confusion - np.diag(np.diag(evaluation.confusion))
    true_class, predicted = np.unravel_index(off.argmax(), off.shape)
    if off.max() == 0:
        true_class, predicted = 0, 0
    rect = view.matrix.visualItemRect(view.matrix.item(int(true_class), int(predicted)))
    qtbot.mouseClick(view.matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    count = int(evaluation.confusion[true_class, predicted])
    assert view.gallery.count() == count > 0
    shown_indices = {view.gallery.item(i).data(Qt.ItemDataRole.UserRole) for i in range(count)}
    assert shown_indices == set(evaluation.cell(int(true_class), int(predicted)).tolist())
    assert f"true {true_class}, predicted {predicted}" in view.gallery_title.text()


def test_any_classifier_in_the_runs_folder_can_be_chosen(window, qtbot, cnn_run, headless_run):
    panel = window.classify_panel
    runs_dir = window.runs_panel.runs_dir
    runs_dir.mkdir(parents=True, exist_ok=True)
    copied = runs_dir / cnn_run.name
    shutil.copytree(cnn_run, copied)
    shutil.copytree(headless_run, runs_dir / headless_run.name)  # a VAE: not offered
    window.runs_panel.refresh()  # read off the GUI thread, then handed to the page
    window.runs_panel.settle()
    offered = [panel.classifier.itemData(i) for i in range(panel.classifier.count())]
    assert offered == [str(copied)]
    qtbot.waitUntil(lambda: "classes" in panel.message.text(), timeout=WAIT_MS)


def test_a_run_that_does_not_classify_is_offered_but_not_chosen(
    window, qtbot, headless_run, tmp_path
):
    panel = window.classify_panel
    panel.set_current_run(str(headless_run), "vae")  # opened for its samples: not chosen
    assert panel.classifier.itemText(0).endswith("(does not classify)")
    # With no classifier in the runs folder, the panel says so instead of taking the VAE.
    assert panel.classifier.count() == 2 and panel.run_dir() is None
    assert panel.classifier.currentText() == NO_CLASSIFIER
    assert "Train a classifier" in panel.message.text()
    assert not [m for _, level, m in window.status.notices if level == "error"]
    # Chosen on purpose, it is refused with a reason, and files are not classified with it.
    panel.classifier.setCurrentIndex(0)
    assert panel.run_dir() == str(headless_run)
    qtbot.waitUntil(lambda: "does not classify" in panel.message.text(), timeout=WAIT_MS)
    assert "does not classify images; choose a CNN classifier" in panel.message.text()
    (tmp_path / "x.png").write_bytes(b"")
    panel.classify_paths([str(tmp_path / "x.png")])
    wait_until_idle(qtbot, panel)
    assert rows(panel) == []
    assert "does not classify" in panel.message.text()


def test_a_classifier_trained_elsewhere_appears_without_a_click(window, qtbot, cnn_run):
    panel = window.classify_panel
    assert panel.run_dir() is None
    runs_dir = window.runs_panel.runs_dir
    runs_dir.mkdir(parents=True, exist_ok=True)
    copied = runs_dir / cnn_run.name
    shutil.copytree(cnn_run, copied)
    window.runs_panel.refresh()  # what its timer does every few seconds
    window.runs_panel.settle()
    assert panel.run_dir() == str(copied)
    qtbot.waitUntil(lambda: "10 classes" in panel.message.text(), timeout=WAIT_MS)
    # The latent page lists only runs with a latent space: the classifier is not offered there.
    offered = [window.latent_explorer.chooser.itemData(i)
               for i in range(window.latent_explorer.chooser.count())]  # fmt: skip
    assert offered == []


def test_a_classifier_still_in_its_first_epoch_is_waited_for(window, qtbot, cnn_run, tmp_path):
    young = tmp_path / "young"
    shutil.copytree(cnn_run, young)
    weights = [p for p in young.iterdir() if p.name.startswith("weights")]
    for path in weights:
        path.rename(tmp_path / path.name)
    panel = window.classify_panel
    panel.set_current_run(str(young), "cnn")
    qtbot.waitUntil(lambda: "no saved weights yet" in panel.message.text(), timeout=WAIT_MS)
    assert not [m for _, _, m in window.status.notices if "weights" in m]  # it is on its way
    for path in weights:
        (tmp_path / path.name).rename(path)
    panel.weights_changed(str(young))  # its training ended
    qtbot.waitUntil(lambda: "10 classes" in panel.message.text(), timeout=WAIT_MS)


def test_every_column_fits_beside_the_details_in_a_laptop_window(window, panel, qtbot):
    window.resize(1280, 800)
    window.pages.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.table.viewport().width() > 0, timeout=WAIT_MS)
    header = panel.table.horizontalHeader()
    assert window.width() == 1280
    # Notes starts inside the visible table, with room to read a word of it.
    assert header.sectionViewportPosition(NOTES) + 60 <= panel.table.viewport().width()
    for column in range(NOTES):
        text = panel.results.headerData(column, Qt.Orientation.Horizontal)
        needed = header.fontMetrics().horizontalAdvance(text) + 12
        assert header.sectionSize(column) >= needed, f"{text!r} is cut"


def test_the_notes_column_says_what_was_done_to_a_file():
    from models.inference.file_results import FileResult
    from studio.classify.table import note_of

    stretched = "levels stretched (its strokes and background were too close in brightness)"
    plain = FileResult("a.png", labels=("1",), probabilities=(0.9,))
    both = FileResult("b.png", labels=("2",), probabilities=(0.8,), inverted=True,
                      steps=("inverted (...)", stretched))  # fmt: skip
    assert note_of(plain) == ""
    assert note_of(both) == "inverted, levels stretched"
