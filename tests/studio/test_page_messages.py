"""A page picks a run it can use (or says once, in the page, why none fits), and its messages
are its own: taken back from the status bar when their cause goes or the page is left."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from studio_helpers import WAIT_MS, open_run_and_wait, quick_run


@pytest.fixture(scope="session")
def classifier_run(tmp_path_factory) -> Path:
    return quick_run(tmp_path_factory.mktemp("cnn"), "cnn", {"batch_size": 64, "width": 4})


def copy_into(run: Path, runs_dir: Path) -> Path:
    runs_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copytree(run, runs_dir / run.name))


def errors_in(status) -> list[str]:
    return [message for _, level, message in status.notices if level == "error"]


def test_the_latent_page_chooses_a_run_it_can_use(window, qtbot, headless_run, classifier_run,
                                                  runs_dir):  # fmt: skip
    vae = copy_into(headless_run, runs_dir)
    cnn = copy_into(classifier_run, runs_dir)
    window.runs_panel.refresh()
    window.runs_panel.settle()
    open_run_and_wait(qtbot, window, cnn)  # opened for its curves; it has no latent space
    page = window.latent_explorer
    window.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.analysis is not None, timeout=WAIT_MS)
    assert page.chooser.currentData() == str(vae)
    assert [page.chooser.itemData(i) for i in range(page.chooser.count())] == [str(vae)]
    assert page.message.text() == "" and not errors_in(window.status)
    window.pages.setCurrentIndex(0)


def test_the_latent_page_chooses_a_run_when_none_was_opened(window, qtbot, headless_run,
                                                             runs_dir):  # fmt: skip
    vae = copy_into(headless_run, runs_dir)
    window.runs_panel.refresh()
    window.runs_panel.settle()
    page = window.latent_explorer
    window.pages.setCurrentWidget(page)  # nothing opened: the page picks the run it can explore
    qtbot.waitUntil(lambda: page.analysis is not None, timeout=WAIT_MS)
    assert page.chooser.currentData() == str(vae)
    window.pages.setCurrentIndex(0)


def test_the_latent_page_says_once_why_no_run_fits(window, qtbot, classifier_run, runs_dir):
    cnn = copy_into(classifier_run, runs_dir)
    window.runs_panel.refresh()
    window.runs_panel.settle()
    open_run_and_wait(qtbot, window, cnn)
    page = window.latent_explorer
    window.pages.setCurrentWidget(page)
    qtbot.wait(200)
    assert page.stack.currentWidget() is page.empty
    assert "no run in the runs folder has a latent space" in page.empty.text().lower()
    assert page.message.text() == ""  # said once, in the page
    assert window.status.notice_label.text() == "" and not errors_in(window.status)
    assert not page.tasks.is_pending("open")  # nothing loaded only to be refused
    window.pages.setCurrentIndex(0)


def test_a_pages_message_leaves_with_its_cause_and_its_page(window, qtbot, headless_run,
                                                            runs_dir):  # fmt: skip
    vae = copy_into(headless_run, runs_dir)
    window.runs_panel.refresh()
    window.runs_panel.settle()
    page = window.latent_explorer
    window.pages.setCurrentWidget(page)
    page.show_run(vae)
    qtbot.waitUntil(lambda: page.analysis is not None, timeout=WAIT_MS)
    # What a tool says when an image is dropped on a model without an encoder.
    page.notify("a DCGAN has no encoder", "error")
    assert "no encoder" in window.status.notice_label.text()
    window.pages.setCurrentWidget(window.classify_panel)
    assert "no encoder" not in window.status.notice_label.text()
    assert "no encoder" in window.status.notice_label.toolTip()  # still in the history
    # Back on the page, the message goes when its cause does: another run is loaded.
    window.pages.setCurrentWidget(page)
    page.notify("a DCGAN has no encoder", "error")
    page.show_run(vae, reload=True)
    assert page.message.text() == "" and "no encoder" not in window.status.notice_label.text()
    qtbot.waitUntil(lambda: page.analysis is not None, timeout=WAIT_MS)
    # The Classify page's own messages go the same way.
    window.pages.setCurrentWidget(window.classify_panel)
    window.classify_panel.notice.emit("error", "the classifier could not be read")
    assert "could not be read" in window.status.notice_label.text()
    window.pages.setCurrentIndex(0)
    assert "could not be read" not in window.status.notice_label.text()
    # A message of the whole window (the training) stays whatever page is shown.
    window.session.notice.emit("warning", "loss is NaN")
    window.pages.setCurrentWidget(page)
    assert "loss is NaN" in window.status.notice_label.text()
    window.pages.setCurrentIndex(0)


def test_a_page_out_of_sight_keeps_its_error_to_itself(window, qtbot):
    window.pages.setCurrentIndex(0)  # the Training page is in front
    window.classify_panel.notice.emit("error", "the classifier could not be loaded")
    assert "could not be loaded" not in window.status.notice_label.text()
    assert not errors_in(window.status)
    window.pages.setCurrentWidget(window.classify_panel)
    window.classify_panel.notice.emit("error", "the classifier could not be loaded")
    assert "could not be loaded" in window.status.notice_label.text()
    window.pages.setCurrentIndex(0)


def test_the_classify_page_chooses_nothing_before_it_knows_which_kinds_classify(
    qtbot, headless_run, runs_dir
):
    from studio.classify.classify_panel import ClassifyPanel
    from studio.settings import StudioSettings

    copy_into(headless_run, runs_dir)  # the newest run is a VAE
    panel = ClassifyPanel(StudioSettings(), runs_dir)  # no catalog yet: the engine is loading
    qtbot.addWidget(panel)
    panel.refresh_runs()
    assert panel.run_dir() is None and not panel.tasks.busy
