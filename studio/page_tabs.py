"""The window's pages, each in a scroll area: on a small screen (1280 x 720, or 1366 x 768 at
125 %) a page larger than the space left scrolls instead of pushing the window, and with it
the docks and the status bar, off the screen.

The scroll areas stay an implementation detail: setCurrentWidget, currentWidget and indexOf
take and give the pages themselves.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget


def scrolled(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area that gives it all the room there is."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area


class PageTabs(QTabWidget):
    def add_page(self, page: QWidget, title: str) -> int:
        return self.addTab(scrolled(page), title)

    def page(self, index: int) -> QWidget | None:
        area = self.widget(index)
        return area.widget() if isinstance(area, QScrollArea) else area

    def indexOf(self, page: QWidget) -> int:  # Qt's name, kept
        for index in range(self.count()):
            if self.page(index) is page or self.widget(index) is page:
                return index
        return -1

    def setCurrentWidget(self, page: QWidget) -> None:  # Qt's name, kept
        index = self.indexOf(page)
        if index >= 0:
            self.setCurrentIndex(index)

    def currentWidget(self) -> QWidget | None:  # Qt's name, kept
        return self.page(self.currentIndex())
