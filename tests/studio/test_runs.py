"""The run history: open a run the engine wrote headless, follow one that grows, resume, fork,
overlay, delete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from studio_helpers import WAIT_MS, open_run_and_wait, run_folder_is_complete

from models.runs.folder import Run


def copy_run(source: Path, runs_dir: Path) -> Path:
    """Each test gets its own copy of the shared headless run, so it may change it."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    target = runs_dir / source.name
    shutil.copytree(source, target)
    return target


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_open_a_run_written_headless(window, qtbot, headless_run, runs_dir):
    path = copy_run(headless_run, runs_dir)
    panel = window.runs_panel
    panel.refresh()
    panel.settle()
    summary = panel.summaries[0]
    assert (summary.kind, summary.dataset, summary.state) == ("vae", "mnist-5k", "completed")
    row = panel.tree.topLevelItem(0)
    assert row.text(4) == "70/70" and row.text(5).startswith("test_loss ")

    panel.select(path)
    click(qtbot, panel.buttons["open"])
    records, _ = Run(path).read_metrics()
    trained = sum(1 for r in records if r.get("split") != "test")
    # The folder is read off the GUI thread, the curves loaded from it as it is followed.
    qtbot.waitUntil(lambda: path.name in window.loss_plot.series, timeout=WAIT_MS)
    series = window.loss_plot.series[path.name]
    loaded = lambda: "loss" in series.train and series.train["loss"].size == trained  # noqa: E731
    qtbot.waitUntil(loaded, timeout=WAIT_MS)
    assert series.test["test_loss"].size == 1
    assert series.steps_per_epoch == 70
    view = window.samples_view
    assert view.all_steps() == [0, 20, 40, 60, 70]
    view.slider.setValue(0)  # scrub back to the first grid, read from disk
    assert view.current_step() == 0 and view.samples.image is not None
    assert view.reconstructions.image is not None


def test_an_open_run_follows_its_growing_metrics(window, qtbot, headless_run, runs_dir):
    path = copy_run(headless_run, runs_dir)
    open_run_and_wait(qtbot, window, path)
    series = window.loss_plot.series[path.name]
    before = series.train["loss"].size
    # Another process (the command line) goes on training: it appends whole lines.
    more = [{"step": 70 + i, "epoch": 1, "time": 9.0 + i, "loss": 50.0, "kl": 1.0} for i in (1, 2)]
    with open(path / "metrics.jsonl", "a") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in more))
    shutil.copy(path / "samples" / "step-000070.png", path / "samples" / "step-000072.png")
    qtbot.waitUntil(lambda: series.train["loss"].size == before + 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: 72 in window.samples_view.all_steps(), timeout=WAIT_MS)
    assert window.samples_view.current_step() == 72  # it was at the end, so it follows


def test_resume_continues_the_run_in_the_window(window, qtbot, headless_run, runs_dir):
    path = copy_run(headless_run, runs_dir)
    window.train_panel.epochs.setValue(1)  # a finished run resumes for this many more epochs
    window.runs_panel.refresh()
    window.runs_panel.settle()
    window.runs_panel.select(path)
    click(qtbot, window.runs_panel.buttons["resume"])
    qtbot.waitUntil(lambda: window.session.run_dir is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.session.busy, timeout=WAIT_MS)
    assert window.session.state == "completed"
    assert json.loads((path / "status.json").read_text())["step"] == 140
    steps = window.loss_plot.series[path.name].train["loss"].columns()[0]
    assert list(steps) == list(range(1, 141))  # the old curve continued, nothing doubled
    assert window.samples_view.current_step() == 140


def test_fork_starts_a_new_run_from_the_form(window, qtbot, headless_run, runs_dir):
    path = copy_run(headless_run, runs_dir)
    panel, train = window.runs_panel, window.train_panel
    panel.refresh()
    panel.settle()
    panel.select(path)
    click(qtbot, panel.buttons["fork"])
    qtbot.waitUntil(lambda: train.fork_path == str(path), timeout=WAIT_MS)  # read on a thread
    assert not train.kind.isEnabled()
    assert train.hyperparameters()["hidden"] == 16  # filled from the run's config
    train.set_hyperparameters({"learning_rate": 0.001})  # "with changed settings"
    train.epochs.setValue(1)
    click(qtbot, train.train_button)
    qtbot.waitUntil(lambda: window.session.run_dir is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.session.busy, timeout=WAIT_MS)
    child = Path(window.session.run_dir)
    assert child != path
    run_folder_is_complete(child)
    config = Run(child).config
    assert config["parent"] == path.name
    assert config["hyperparameters"]["learning_rate"] == 0.001
    assert train.fork_path is None and train.kind.isEnabled()  # the next Train starts afresh


def test_overlay_two_runs(window, qtbot, headless_run, runs_dir, tmp_path):
    first = copy_run(headless_run, runs_dir)
    second = runs_dir / "second"
    shutil.copytree(first, second)
    config = json.loads((second / "config.json").read_text())
    (second / "config.json").write_text(json.dumps({**config, "name": "second"}))
    open_run_and_wait(qtbot, window, first)
    panel = window.runs_panel
    panel.refresh()
    panel.settle()
    panel.tree.selectAll()
    click(qtbot, panel.buttons["overlay"])
    plot = window.loss_plot
    qtbot.waitUntil(lambda: "second" in plot.series, timeout=WAIT_MS)  # read on a thread
    assert set(plot.series) == {first.name, "second"}
    assert plot.series["second"].index == 1  # drawn dashed behind the run in focus
    plot.redraw()
    assert ("train", "loss") in plot.series["second"].items
    csv_path = tmp_path / "both.csv"
    plot.export_csv(csv_path)
    text = csv_path.read_text()
    assert "second,train,loss" in text and f"{first.name},test,test_loss" in text


def test_delete_asks_first_and_removes_the_folder(window, qtbot, headless_run, runs_dir,
                                                  monkeypatch):  # fmt: skip
    from PySide6.QtWidgets import QMessageBox

    path = copy_run(headless_run, runs_dir)
    panel = window.runs_panel
    open_run_and_wait(qtbot, window, path)
    panel.refresh()
    panel.settle()
    panel.select(path)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    click(qtbot, panel.buttons["delete"])
    assert path.exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    click(qtbot, panel.buttons["delete"])
    assert not path.exists()
    assert panel.tree.topLevelItemCount() == 0
    assert window.opened is None and path.name not in window.loss_plot.series


def test_reveal_opens_the_folder(window, qtbot, headless_run, runs_dir, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    path = copy_run(headless_run, runs_dir)
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.runs_panel.refresh()
    window.runs_panel.settle()
    window.runs_panel.select(path)
    click(qtbot, window.runs_panel.buttons["reveal"])
    assert [Path(u.toLocalFile()) for u in opened] == [path]
    assert window.runs_panel.dialog is None  # the file manager showed it: nothing more to say


def test_reveal_without_a_file_manager_shows_the_path_to_copy(window, qtbot, headless_run,
                                                              runs_dir, monkeypatch):  # fmt: skip
    from PySide6.QtGui import QDesktopServices, QGuiApplication

    path = copy_run(headless_run, runs_dir)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)  # none registered
    panel = window.runs_panel
    panel.refresh()
    panel.settle()
    panel.select(path)
    click(qtbot, panel.buttons["reveal"])
    dialog = panel.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.path.text() == str(path)
    click(qtbot, dialog.copy_button)
    assert QGuiApplication.clipboard().text() == str(path)
    dialog.close()


def test_fork_settings_are_not_the_next_runs_defaults(window, qtbot, headless_run, runs_dir):
    from studio.settings import StudioSettings
    from studio.training.train_panel import TrainPanel

    path = copy_run(headless_run, runs_dir)
    train = window.train_panel
    train.set_hyperparameters({"hidden": 16, "width": 4})  # the person's own form
    train.epochs.setValue(1)
    mine = train.hyperparameters()
    window.fork_run(str(path))
    qtbot.waitUntil(
        lambda: train.fork_path == str(path), timeout=WAIT_MS
    )  # read off the GUI thread
    train.set_hyperparameters({"beta": 4.0})
    train.epochs.setValue(2)
    click(qtbot, train.train_button)
    qtbot.waitUntil(lambda: window.session.run_dir is not None, timeout=WAIT_MS)
    child = Path(window.session.run_dir)
    # While the fork trains the form shows its settings, greyed: they are the run's.
    qtbot.waitUntil(lambda: train.hyperparameters()["beta"] == 4.0, timeout=WAIT_MS)
    assert not train.form.isEnabled()
    qtbot.waitUntil(lambda: not window.session.busy, timeout=WAIT_MS)
    assert Run(child).config["hyperparameters"]["beta"] == 4.0
    # Afterwards the form is the person's again, and so is what is remembered.
    assert train.hyperparameters() == mine and train.epochs.value() == 1
    stored = StudioSettings().training_choices()
    assert stored["hyperparameters"]["vae"]["beta"] == 1.0 and stored["epochs"] == 1
    window.close()  # the window saves the form as it closes: still the person's
    again = TrainPanel()
    qtbot.addWidget(again)
    again.set_catalog(train.catalog, StudioSettings().training_choices())
    assert again.hyperparameters()["beta"] == 1.0 and again.epochs.value() == 1


def test_renaming_and_noting_a_run(window, qtbot, headless_run, runs_dir):
    path = copy_run(headless_run, runs_dir)
    panel = window.runs_panel
    panel.refresh()
    panel.settle()
    panel.select(path)
    click(qtbot, panel.buttons["notes"])
    dialog = panel.dialog
    dialog.label_edit.setText("first try")
    dialog.note_edit.setPlainText("beta 1, 16 hidden\nthe 4s look like 9s")
    dialog.accept()
    panel.settle()  # saved on a thread, then the folder read again
    row = panel.tree.topLevelItem(0)
    assert row.text(0) == "first try"  # the label stands in for the folder name
    assert path.name in row.toolTip(0) and "the 4s look like 9s" in row.toolTip(0)
    assert row.text(panel.tree.columnCount() - 1) == "beta 1, 16 hidden"
    assert path.is_dir() and (path / "notes.json").is_file()  # the folder keeps its name
    # The timer's read (on its own thread) sees the same.
    panel.listing = []
    panel.tree.clear()
    panel.poll()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT_MS)
    panel.shutdown()
    assert panel.tree.topLevelItem(0).text(0) == "first try"


def test_a_forked_run_names_its_parent_and_settings_compare_side_by_side(
    window, qtbot, headless_run, runs_dir
):
    from models.training.trainer import Trainer, TrainRequest

    path = copy_run(headless_run, runs_dir)
    config = Run(path).config
    fork = TrainRequest("vae", "mnist-5k", {**config["hyperparameters"], "beta": 4.0},
                        epochs=1, sample_every=70, runs_dir=runs_dir, fork_from=path)  # fmt: skip
    for _ in Trainer(fork).run():
        pass
    panel = window.runs_panel
    panel.refresh()
    panel.settle()
    parent_column = panel.tree.headerItem().text(3)
    assert parent_column == "Parent"
    rows = {panel.tree.topLevelItem(i).text(0): panel.tree.topLevelItem(i) for i in range(2)}
    child = next(name for name in rows if name != path.name)
    assert rows[child].text(3) == path.name and rows[path.name].text(3) == ""
    panel.tree.selectAll()
    click(qtbot, panel.buttons["compare"])
    dialog = panel.dialog
    assert dialog.table.columnCount() == 2
    differing = dialog.differing()
    assert "hyperparameters.beta" in differing and "parent" in differing
    assert "hyperparameters.hidden" not in differing and "kind" not in differing
    beta_row = [name for name, _, _ in dialog.rows].index("hyperparameters.beta")
    same_row = [name for name, _, _ in dialog.rows].index("kind")
    highlighted = dialog.table.item(beta_row, 0).background().color()
    assert highlighted != dialog.table.item(same_row, 0).background().color()
    assert dialog.table.item(beta_row, 0).font().bold()
    dialog.only_differences.setChecked(True)
    assert dialog.table.isRowHidden(same_row) and not dialog.table.isRowHidden(beta_row)
    dialog.close()


def test_an_opened_classifier_run_says_where_its_mistakes_are(
    window, qtbot, headless_run, runs_dir
):
    from models.training.trainer import Trainer, TrainRequest

    request = TrainRequest("cnn", "mnist-5k", {"width": 4}, epochs=1, runs_dir=runs_dir)
    trainer = Trainer(request)
    for _ in trainer.run():
        pass
    open_run_and_wait(qtbot, window, trainer.run_folder.path)
    view = window.samples_view
    assert view.samples.image is None and "no images" in view.samples.text()
    assert "Classify" in view.samples.text()
    # A kind that draws: the pane shows its grids again.
    open_run_and_wait(qtbot, window, copy_run(headless_run, runs_dir / "vae"))
    assert view.samples.image is not None and "no images" not in view.samples.text()
