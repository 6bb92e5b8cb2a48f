"""The run history and quality: each run's best FID in a column of its own, read off the GUI
thread (as is the whole runs folder, and a saved note); several runs' quality figures side by
side in the comparison, exported as CSV."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from models.runs.folder import Run
from studio.runs import folder_io, listing
from studio.runs.runs_panel import COLUMNS, RunsPanel

DATASET = {"name": "mnist-5k", "image_shape": [1, 28, 28], "class_names": ["0", "1"]}


def measured(step: int, fid: float, recall: float = 0.5) -> dict:
    figures = {
        "fid": fid,
        "kid": fid / 100,
        "precision": 0.7,
        "recall": recall,
        "class_max": 0.12,
        "class_shares": [0.5, 0.5],
        "samples": 1000,
        "seconds": 0.4,
    }
    return {"step": step, "epoch": step // 100, "time": step / 10, "quality": figures}  # fmt: skip


def make_run(runs: Path, name: str, fids: dict[int, float], created: str) -> Path:
    path = runs / name
    path.mkdir(parents=True)
    config = {"kind": "gan", "created": created, "dataset": DATASET}
    (path / "config.json").write_text(json.dumps(config))
    (path / "status.json").write_text(json.dumps({"state": "completed", "step": 600}))
    records = [{"step": s, "loss": 1.0} for s in range(1, 4)]
    records += [measured(step, fid) for step, fid in fids.items()]
    Run(path).append_metrics(records)
    return path


def panel_of(qtbot, runs: Path) -> RunsPanel:
    panel = RunsPanel(runs)
    qtbot.addWidget(panel)
    panel.timer.stop()  # the test says when the folder is read
    assert panel.settle()
    return panel


def rows_by_name(panel: RunsPanel) -> dict:
    items = [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())]
    return {item.text(0): item for item in items}


def test_the_runs_table_shows_each_runs_best_fid_and_follows_it(qtbot, tmp_path):
    runs = tmp_path / "runs"
    first = make_run(runs, "first", {200: 30.0, 400: 12.5, 600: 14.0}, "2026-01-01")
    make_run(runs, "second", {}, "2026-01-02")  # measured nothing (a classifier, say)
    panel = panel_of(qtbot, runs)
    column = COLUMNS.index("Quality")
    assert panel.tree.headerItem().text(column) == "Quality"
    rows = rows_by_name(panel)
    assert rows["first"].text(column) == "FID 12.5 @ 400"
    assert "lower is better" in rows["first"].toolTip(column)
    assert "step 600" in rows["first"].toolTip(column)  # the last measurement too
    assert rows["second"].text(column) == ""
    # The run goes on and does better: the next read reads on from where it stopped.
    Run(first).append_metrics([measured(800, 8.25)])
    panel.refresh()
    assert panel.settle()
    assert rows_by_name(panel)["first"].text(column) == "FID 8.25 @ 800"
    # A resume rewrites metrics.jsonl without what came after its checkpoint: read afresh.
    Run(first).truncate_metrics_after(300)
    panel.refresh()
    assert panel.settle()
    assert rows_by_name(panel)["first"].text(column) == "FID 30 @ 200"
    panel.shutdown()


def test_the_runs_folder_is_read_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    make_run(runs, "first", {200: 30.0}, "2026-01-01")
    readers = []

    def recording(real):
        def read(*args, **kwargs):
            readers.append(threading.current_thread())
            return real(*args, **kwargs)

        return read

    monkeypatch.setattr(listing, "list_runs", recording(listing.list_runs))
    monkeypatch.setattr(listing, "read_details", recording(listing.read_details))
    reader = folder_io.QualityReader
    monkeypatch.setattr(reader, "summary", recording(reader.summary))
    panel = panel_of(qtbot, runs)  # the first read, as the window opens
    panel.refresh()  # a click on Refresh
    panel.poll()  # the timer, while that read is out: read once more after it
    assert panel.settle()
    assert rows_by_name(panel)["first"].text(COLUMNS.index("Quality")) == "FID 30 @ 200"
    assert len(readers) >= 6  # the folder, its run's notes and its metrics, twice at least
    assert threading.main_thread() not in readers
    panel.shutdown()


def test_a_note_is_saved_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    path = make_run(runs, "first", {200: 30.0}, "2026-01-01")
    writers = []
    real_write = folder_io.write_notes

    def write(*args):
        writers.append(threading.current_thread())
        return real_write(*args)

    monkeypatch.setattr(folder_io, "write_notes", write)
    panel = panel_of(qtbot, runs)
    panel.select(path)
    qtbot.mouseClick(panel.buttons["notes"], Qt.MouseButton.LeftButton)
    panel.dialog.label_edit.setText("sharp digits")
    panel.dialog.accept()
    assert panel.settle()
    assert writers and threading.main_thread() not in writers
    assert json.loads((path / "notes.json").read_text())["label"] == "sharp digits"
    assert panel.tree.topLevelItem(0).text(0) == "sharp digits"
    panel.shutdown()


def test_compare_runs_quality_side_by_side_and_export_csv(qtbot, tmp_path):
    runs = tmp_path / "runs"
    make_run(runs, "first", {200: 30.0, 400: 12.5}, "2026-01-01")
    make_run(runs, "second", {200: 9.0, 400: 11.0}, "2026-01-02")
    panel = panel_of(qtbot, runs)
    panel.tree.selectAll()
    qtbot.mouseClick(panel.buttons["compare"], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    table = dialog.quality_table  # above the settings
    assert table.isVisibleTo(dialog)
    names = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    labels = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
    best = labels.index("quality.best FID (lower is better)")
    shown = {names[c]: table.item(best, c).text() for c in range(2)}
    assert shown == {"first": "12.5 @ step 400", "second": "9 @ step 200"}
    recall = labels.index("quality.recall (higher is better)")
    assert table.item(recall, 0).text() == "0.5"
    top = lambda widget: widget.mapTo(dialog, QPoint(0, 0)).y()  # noqa: E731
    assert dialog.isVisible() and top(table) < top(dialog.table)
    # The settings' filter leaves the quality figures in view.
    dialog.only_differences.setChecked(True)
    assert not table.isRowHidden(best)
    target = tmp_path / "compare.csv"
    target.write_text("an older export\n")
    dialog.export_csv(target)
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["setting", *names]
    assert ["quality.best FID (lower is better)", shown[names[0]], shown[names[1]]] in rows
    assert ["kind", "gan", "gan"] in rows  # the settings come along
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary
    dialog.close()
    panel.shutdown()
