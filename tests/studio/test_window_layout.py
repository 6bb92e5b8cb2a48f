"""Small screens: at 1280 x 720 (100 %) and 1366 x 768 at 125 % (about 1093 x 614 logical
pixels, less a task bar) every pane, dock and the status bar lie inside the window, each with
room to use; what does not fit scrolls inside its pane instead of leaving the screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

MIN_PANE = (160, 90)  # narrower or shorter than this, a pane is not usable


def rect_in_window(window, widget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def check_fits(window, width: int, height: int) -> None:
    window.resize(width, height)
    QApplication.processEvents()
    assert window.width() <= width and window.height() <= height, (
        f"the window insists on {window.width()} x {window.height()}"
    )
    inside = window.rect()
    panes = {
        "Train dock": window.train_dock,
        "Runs dock": window.runs_dock,
        "pages": window.pages,
        "loss plot": window.loss_plot,
        "samples": window.samples_view,
        "status bar": window.statusBar(),
    }
    for name, pane in panes.items():
        assert pane.isVisible(), name
        where = rect_in_window(window, pane)
        assert inside.contains(where), f"{name} at {where} is outside the window {inside}"
    for name in ("Train dock", "Runs dock", "pages", "loss plot", "samples"):
        size = panes[name].size()
        assert size.width() >= MIN_PANE[0] and size.height() >= MIN_PANE[1], (name, size)
    assert window.statusBar().height() >= window.statusBar().fontMetrics().height()
    # The Train form reaches its buttons by scrolling when the dock is short.
    assert window.train_panel.train_button.isVisibleTo(window.train_dock)
    for index in range(window.pages.count()):  # every page fits or scrolls inside its tab
        window.pages.setCurrentIndex(index)
        QApplication.processEvents()
        assert inside.contains(rect_in_window(window, window.pages.widget(index)))
    window.pages.setCurrentIndex(0)


@pytest.mark.parametrize("width, height", [(1280, 720 - 40), (1366 * 4 // 5, 768 * 4 // 5 - 32)])
def test_window_fits_1280x720_and_1366x768_at_125_percent(window, width, height):
    check_fits(window, width, height)


def test_window_fits_1280x720(window):
    check_fits(window, 1280, 720)


def test_long_status_messages_never_widen_the_window(window):
    # A long refusal on the left and a long loading line on the right of the status bar
    # (both seen in real use) must be cut to the window, not push it past the screen.
    window.status.notify("error", "a run with a very long name " * 12 + "does not classify")
    window.status.show_loading("training the reference classifier of mnist-5k " * 4, 1, 10)
    QApplication.processEvents()
    check_fits(window, 1280, 720)
    assert "does not classify" in window.status.notice_label.toolTip()  # all of it is kept
