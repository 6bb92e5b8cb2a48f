"""How the Classify table is drawn: a file's name over its folder, notes wrapped over the
row, columns sized to fit beside the details, and new rows followed to the bottom unless a
person has scrolled up to read earlier ones."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from studio.classify.table import (
    FILE,
    FOLDER_ROLE,
    NOTES,
    PREDICTION,
    PROBABILITY_ROW,
    ProbabilityBars,
)


class FileCell(QStyledItemDelegate):
    """The file's name, and under it in a smaller, dimmer font its folder: both elided in the
    middle, where a name's start and its number or extension stay readable."""

    def paint(self, painter, option, index) -> None:
        option = QStyleOptionViewItem(option)
        self.initStyleOption(option, index)
        folder = index.data(FOLDER_ROLE) or ""
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:  # the background and selection, as for any cell
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        name, folder = self.lines(option, index.data(Qt.ItemDataRole.DisplayRole) or "", folder)
        selected = option.state & QStyle.StateFlag.State_Selected
        text = option.palette.highlightedText() if selected else option.palette.text()
        rect = option.rect.adjusted(4, 3, -4, -3)
        half = rect.height() // 2
        painter.save()
        painter.setPen(text.color())
        align = Qt.AlignmentFlag.AlignLeft
        painter.drawText(rect.adjusted(0, 0, 0, -half), align | Qt.AlignmentFlag.AlignBottom, name)
        if folder:
            painter.setFont(self.folder_font(option.font))
            dim = QColor(text.color())
            dim.setAlpha(160)
            painter.setPen(dim)
            painter.drawText(
                rect.adjusted(0, half, 0, 0), align | Qt.AlignmentFlag.AlignTop, folder
            )
        painter.restore()

    @staticmethod
    def folder_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() * 0.85, 6.0))
        return small

    def lines(self, option, name: str, folder: str) -> tuple[str, str]:
        """The two lines as drawn in this cell's width."""
        width = max(option.rect.width() - 8, 1)
        middle = Qt.TextElideMode.ElideMiddle
        return (
            QFontMetrics(option.font).elidedText(name, middle, width),
            QFontMetrics(self.folder_font(option.font)).elidedText(folder, middle, width),
        )


class WrappedText(QStyledItemDelegate):
    """Text wrapped over the row's height (three lines fit), elided in the middle only when
    even that is too little; the tooltip holds the whole of it."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        option.textElideMode = Qt.TextElideMode.ElideMiddle


# Column widths in pixels: every column beside the details at 1280 px, Notes taking the rest.
COLUMN_WIDTHS = (140, 62, 84, 160, 80, 60)
FOLLOW_SLACK = 4  # pixels from the bottom that still count as "at the bottom"


class ResultsTable(QTableView):
    """The table of results: sized for the columns above, and following new rows to the
    bottom while the person has not scrolled up to read earlier ones."""

    def __init__(self, model: QSortFilterProxyModel, parent=None):
        super().__init__(parent)
        self._following = True
        self.setModel(model)
        self.setItemDelegateForColumn(FILE, FileCell(self))
        self.setItemDelegateForColumn(PREDICTION, ProbabilityBars(self))
        self.setItemDelegateForColumn(NOTES, WrappedText(self))
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # arrival order until asked
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring
        rows.setDefaultSectionSize(PROBABILITY_ROW)
        rows.hide()
        columns = self.horizontalHeader()
        for column, width in enumerate(COLUMN_WIDTHS):
            columns.resizeSection(column, width)
        columns.setStretchLastSection(True)
        model.rowsAboutToBeInserted.connect(self._note_position)
        model.rowsInserted.connect(self._follow)

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - FOLLOW_SLACK

    def _note_position(self, *_: object) -> None:
        self._following = self.at_bottom()

    def _follow(self, *_: object) -> None:
        if self._following:
            self.scrollToBottom()
