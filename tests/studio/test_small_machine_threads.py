"""Every page busy on a machine with one or two cores: the Latent page and the Classify page
each keep a model loaded in a long-lived worker, and training must still start, the Latent
page must still load while a run trains, and the window must still close.

Qt's global thread pool is sized by the core count; it is limited here to what a 1- or 2-core
machine has, so a long-lived worker that waited on it would hang these steps."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt, QThreadPool
from studio_helpers import TINY, WAIT_MS, quick_run, set_tiny


@pytest.fixture(scope="module")
def page_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("busy-pages")
    return {
        "encoder": quick_run(root, "vae", dict(TINY)),
        "other encoder": quick_run(root, "vae", {**TINY, "latent_dim": 2}),
        "classifier": quick_run(root, "cnn", {"batch_size": 64, "width": 8}),
    }


@pytest.fixture
def small_pool(request):
    pool = QThreadPool.globalInstance()
    before = pool.maxThreadCount()
    pool.setMaxThreadCount(request.param)
    yield request.param
    pool.setMaxThreadCount(before)


def digit_files(folder: Path, count: int = 2) -> list[Path]:
    from models.data.datasets import load_mnist_5k

    folder.mkdir(parents=True, exist_ok=True)
    images = load_mnist_5k().test_images[:count, 0].numpy()
    paths = []
    for index, image in enumerate(images):
        path = folder / f"digit-{index}.png"
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths


@pytest.mark.parametrize("small_pool", [1, 2], indirect=True)
def test_training_starts_with_every_page_busy_on_a_small_machine(
    window, qtbot, page_runs, small_pool, tmp_path
):
    latent, classify = window.latent_explorer, window.classify_panel

    # The Latent page loads an encoding run and keeps its model in its worker.
    window.pages.setCurrentWidget(latent)
    latent.show_run(page_runs["encoder"])
    qtbot.waitUntil(lambda: latent.analysis is not None, timeout=WAIT_MS)
    assert latent.tasks.busy

    # The Classify page loads a classifier and classifies two files.
    window.pages.setCurrentWidget(classify)
    classify.set_current_run(str(page_runs["classifier"]), "cnn")
    classify.classify_paths([str(p) for p in digit_files(tmp_path / "files")])
    qtbot.waitUntil(lambda: len(classify.results.results) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not classify._active, timeout=WAIT_MS)

    # Training starts: a run folder appears and steps are reported.
    window.pages.setCurrentIndex(0)
    panel, session = window.train_panel, window.session
    set_tiny(panel, epochs=50)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.state == "running", timeout=WAIT_MS)
    assert session.run_dir is not None and Path(session.run_dir).is_dir()

    # While it trains, the Latent page loads another run.
    window.pages.setCurrentWidget(latent)
    latent.show_run(page_runs["other encoder"])
    qtbot.waitUntil(
        lambda: latent.info is not None and latent.info["latent_dim"] == 2, timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: latent.analysis is not None, timeout=WAIT_MS)
    assert session.busy and session.state == "running"

    # Closing stops training (a checkpoint is written first) and ends every worker.
    assert window.close()
    assert not session.busy
    assert not latent.tasks.busy and not classify.tasks.busy
    assert (Path(session.run_dir) / "state.pt").is_file()


def test_workers_are_made_only_where_they_get_a_thread_of_their_own():
    # A worker made elsewhere could be started on Qt's global pool (sized by the core count),
    # where two long-lived ones fill a 2-core machine: studio/workers/threads.py is the one
    # place that makes them, unstarted, for start_on_own_thread.
    studio = Path(__file__).resolve().parents[2] / "studio"
    makers = sorted(
        str(path.relative_to(studio))
        for path in studio.rglob("*.py")
        if "create_worker" in path.read_text() or "thread_worker" in path.read_text()
    )
    assert makers == ["workers/threads.py"]
