"""Fixtures for the studio tests: isolated folders and settings, a window with the engine
loaded, a headless run made by the engine, and a check that no test leaves a worker behind."""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool
from PySide6.QtWidgets import QMessageBox
from studio_helpers import TINY, WAIT_MS


def pytest_collection_modifyitems(items):
    # The offscreen platform (tests only) cannot resize a dock's native window and says so as a
    # warning; on a real display it does not occur. Every other Qt warning still fails a test.
    for item in items:
        if "tests/studio" in str(item.path):
            item.add_marker(
                pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
            )


@pytest.fixture(autouse=True)
def _isolated_folders(tmp_path, monkeypatch):
    """No test reads or writes the person's real runs, data, cache or settings."""
    monkeypatch.setenv("IMAGE_STUDIO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("IMAGE_STUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IMAGE_STUDIO_RUNS", str(tmp_path / "runs"))


@pytest.fixture(autouse=True)
def _isolated_settings(qapp, tmp_path):
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    qapp.setOrganizationName("image-studio-tests")
    qapp.setApplicationName("studio-tests")


@pytest.fixture(autouse=True)
def _collect_widgets_on_the_gui_thread():
    """Windows a test leaves behind sit in reference cycles (slots that close over them) until
    Python's collector runs, and it runs on whichever thread allocates next: in a model worker
    of the next test it would delete Qt widgets off the GUI thread and crash. Collect here."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _no_dangling_workers(qapp):
    """Fail a test that leaves a superqt worker, a thread-pool task or a Python thread running
    (napari's conftest does the same): a leftover worker would train into the next test."""
    from superqt.utils._qthreading import WorkerBase

    threads_before = set(threading.enumerate())
    yield
    pool = QThreadPool.globalInstance()
    # A worker that just emitted `finished` is still returning from run(): a moment's grace,
    # with events processed so its queued `finished` reaches superqt's bookkeeping.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and (pool.activeThreadCount() or WorkerBase._worker_set):
        QCoreApplication.processEvents()
        time.sleep(0.01)
    leftover_workers = list(WorkerBase._worker_set)
    active_tasks = pool.activeThreadCount()
    # Dummy threads are Python's view of Qt's pool threads, idle or not: the pool check covers them.
    threads = [
        t
        for t in threading.enumerate()
        if t not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)
    ]
    if leftover_workers or active_tasks or threads:
        for worker in leftover_workers:
            worker.quit()
        pool.waitForDone(30_000)
        pytest.fail(
            f"test left {len(leftover_workers)} worker(s), {active_tasks} thread-pool task(s) "
            f"and threads {[t.name for t in threads]} running"
        )


@pytest.fixture(scope="session")
def catalog():
    from studio.training.session import load_catalog

    return load_catalog()


@pytest.fixture
def runs_dir(tmp_path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def answer_yes(monkeypatch):
    """Every confirmation dialog answered Yes (a modal dialog would block the test)."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


@pytest.fixture
def window(qtbot, catalog, answer_yes):
    """The main window, shown, with the engine loaded through its real background path."""
    from studio.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.start_loading()
    qtbot.waitUntil(lambda: win.train_panel.catalog is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not win.catalog_loader.busy, timeout=WAIT_MS)
    yield win
    left_running = win.session.busy
    if left_running:
        win.session.stop()
        win.session.wait(60)
    win.close()
    if left_running:
        pytest.fail("the test left training running")


@pytest.fixture(scope="session")
def headless_run(tmp_path_factory) -> Path:
    """A finished run written by the engine alone, as the command line writes one."""
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    root = tmp_path_factory.mktemp("headless")
    request = TrainRequest("vae", "mnist-5k", dict(TINY), epochs=1, sample_every=20, runs_dir=root)
    seen = list(Trainer(request).run())
    started = next(r for r in seen if isinstance(r, reports.Started))
    return Path(started.run_dir)
