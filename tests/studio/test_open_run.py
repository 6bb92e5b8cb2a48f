"""The open run is an object of its own, and the window reads run folders off the GUI thread:
opening, following, overlaying, forking and resuming a run never read its config, status or
metrics on the thread that draws the window."""

from __future__ import annotations

import shutil
import threading

import pytest
from studio_helpers import WAIT_MS, open_run_and_wait

from models.runs.folder import Run


@pytest.fixture
def reads_on_gui_thread(monkeypatch):
    """Records each run-folder read made on the GUI (main) thread."""
    seen: list[str] = []
    main = threading.main_thread()

    def watch(name, original):
        def watched(*args, **kwargs):
            if threading.current_thread() is main:
                seen.append(name)
            return original(*args, **kwargs)

        return watched

    monkeypatch.setattr(Run, "read_metrics", watch("read_metrics", Run.read_metrics))
    monkeypatch.setattr(Run, "status", watch("status", Run.status))
    original_open = Run.open.__func__
    monkeypatch.setattr(Run, "open", classmethod(watch("open", original_open)))
    monkeypatch.setattr(Run, "config", property(watch("config", Run.config.fget)))
    return seen


def test_opening_following_and_overlaying_read_off_the_gui_thread(
    window, qtbot, headless_run, runs_dir, reads_on_gui_thread
):
    runs_dir.mkdir(parents=True, exist_ok=True)
    first = shutil.copytree(headless_run, runs_dir / "first")
    second = shutil.copytree(headless_run, runs_dir / "second")
    records, _ = Run(first).read_metrics()
    reads_on_gui_thread.clear()

    open_run_and_wait(qtbot, window, first)
    assert window.open_run_state.current.name == "first"
    assert window.open_run_state.current.steps_per_epoch == 70
    # The follower loads the curves from the file on its own thread.
    qtbot.waitUntil(lambda: "first" in window.loss_plot.series, timeout=WAIT_MS)
    series = window.loss_plot.series["first"]
    trained = sum(1 for r in records if r.get("split") != "test")
    loaded = lambda: "loss" in series.train and series.train["loss"].size == trained  # noqa: E731
    qtbot.waitUntil(loaded, timeout=WAIT_MS)

    window.overlay_run(str(second))
    qtbot.waitUntil(lambda: "second" in window.loss_plot.series, timeout=WAIT_MS)
    window.fork_run(str(second))
    qtbot.waitUntil(lambda: window.train_panel.fork_path == str(second), timeout=WAIT_MS)
    assert reads_on_gui_thread == []


def test_the_newest_open_wins_and_a_deleted_run_closes(window, qtbot, headless_run, runs_dir):
    runs_dir.mkdir(parents=True, exist_ok=True)
    first = shutil.copytree(headless_run, runs_dir / "first")
    second = shutil.copytree(headless_run, runs_dir / "second")
    seen = []
    window.open_run_state.changed.connect(lambda opened: seen.append(opened and opened.name))
    window.open_run(str(first))
    window.open_run(str(second))  # chosen before the first was read: only it is shown
    qtbot.waitUntil(lambda: window.opened == str(second), timeout=WAIT_MS)
    qtbot.wait(200)
    assert seen == ["second"]
    window._deleted(str(second))
    assert window.opened is None and seen[-1] is None


def test_a_damaged_run_is_reported_and_the_open_one_stays(window, qtbot, headless_run, runs_dir):
    runs_dir.mkdir(parents=True, exist_ok=True)
    good = shutil.copytree(headless_run, runs_dir / "good")
    bad = shutil.copytree(headless_run, runs_dir / "bad")
    (bad / "config.json").write_text("{ not json")
    open_run_and_wait(qtbot, window, good)
    window.open_run(str(bad))
    qtbot.waitUntil(lambda: "config.json" in window.status.notice_label.text(), timeout=WAIT_MS)
    assert window.opened == str(good)


def test_the_classify_page_chooses_from_the_history_read_off_the_gui_thread(
    window, qtbot, headless_run, runs_dir, reads_on_gui_thread
):
    runs_dir.mkdir(parents=True, exist_ok=True)
    vae = shutil.copytree(headless_run, runs_dir / "vae-run")
    reads_on_gui_thread.clear()
    window.runs_panel.refresh()
    window.runs_panel.settle()
    open_run_and_wait(qtbot, window, vae)
    panel = window.classify_panel
    assert panel.classifier.itemText(0).endswith("(does not classify)")
    assert panel.run_dir() is None  # offered, not chosen: a VAE does not classify
    assert reads_on_gui_thread == []
