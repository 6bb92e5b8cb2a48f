"""The latent page's tool tabs: each tool sits in a slot that can show, in its place, one
sentence saying why the tool has nothing to offer for the opened model (no 784 sliders for a
latent shaped like an image), and a tool only some kinds can use is hidden for the others.

As with the window's page tabs, setCurrentWidget, currentWidget and indexOf take and give the
tools themselves; the slots stay an implementation detail.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QTabWidget, QWidget


class ToolSlot(QStackedWidget):
    """A tool, or the sentence that stands in for it."""

    def __init__(self, tool: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.tool = tool
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setMargin(24)
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.addWidget(tool)
        self.addWidget(self.note)

    def fit(self, info: dict[str, Any] | None) -> bool:
        """Show the tool, or the reason it does not fit `info`; returns whether it fits."""
        reason = "" if info is None else self.tool.unfit_reason(info)
        self.note.setText(reason)
        self.setCurrentWidget(self.note if reason else self.tool)
        return not reason

    @property
    def showing_note(self) -> bool:
        return self.currentWidget() is self.note


class ToolTabs(QTabWidget):
    def add_tool(self, tool: QWidget, title: str, tip: str) -> int:
        index = self.addTab(ToolSlot(tool), title)
        self.setTabToolTip(index, tip)
        return index

    def slot(self, tool: QWidget) -> ToolSlot | None:
        index = self.indexOf(tool)
        return self.widget(index) if index >= 0 else None

    def tool(self, index: int) -> QWidget | None:
        slot = self.widget(index)
        return slot.tool if isinstance(slot, ToolSlot) else slot

    def indexOf(self, tool: QWidget) -> int:  # Qt's name, kept
        for index in range(self.count()):
            if self.tool(index) is tool or self.widget(index) is tool:
                return index
        return -1

    def setCurrentWidget(self, tool: QWidget) -> None:  # Qt's name, kept
        index = self.indexOf(tool)
        if index >= 0:
            self.setCurrentIndex(index)

    def currentWidget(self) -> QWidget | None:  # Qt's name, kept
        return self.tool(self.currentIndex())

    def set_offered(self, tool: QWidget, offered: bool) -> None:
        """Show or hide a tool's tab (one that only some kinds can use)."""
        index = self.indexOf(tool)
        if index >= 0:
            self.setTabVisible(index, offered)
