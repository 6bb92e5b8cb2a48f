"""The traversal matrix drawn to be read: each row one latent dimension swept over the values
its header names, tiles enlarged by a whole factor (at least twice the decoded size), a label
at the left of each row saying which dimension it is. Taller than its space, it scrolls."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.training.samples_view import to_qimage

MIN_ZOOM = 2  # a 28-pixel digit at 1x is too small to see what a dimension changes
MAX_ZOOM = 6
GAP = 3  # pixels between tiles
LABEL_WIDTH = 64  # the row labels' column
HEADER_HEIGHT = 20  # the column values' row


class TraversalMatrix(QWidget):
    """Shows decoded tiles (rows x columns) with row and column labels."""

    def __init__(self, empty_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.empty_text = empty_text
        self.tiles: list[QPixmap] = []
        self.rows: list[str] = []  # one label per row: which dimension
        self.row_tips: list[str] = []
        self.columns: list[str] = []  # one label per column: the value it is set to
        self.tile_size = (0, 0)  # the decoded tile, in pixels
        self.array: np.ndarray | None = None  # the plain grid, for exports
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    def show_matrix(
        self,
        images: np.ndarray | None,
        rows: list[str] = (),
        columns: list[str] = (),
        grid: np.ndarray | None = None,
        row_tips: list[str] = (),
    ) -> None:
        """`images` (rows x columns, H, W, C) uint8 in reading order."""
        self.array = grid
        if images is None or not len(rows):
            self.tiles, self.rows, self.columns, self.row_tips = [], [], [], []
        else:
            self.tiles = [QPixmap.fromImage(to_qimage(tile)) for tile in images]
            self.rows, self.columns, self.row_tips = list(rows), list(columns), list(row_tips)
            self.tile_size = (int(images.shape[2]), int(images.shape[1]))
        self._fit()
        self.update()

    # --- geometry -------------------------------------------------------------------------
    def zoom(self) -> int:
        """The largest whole enlargement whose columns fit the width, within MIN..MAX."""
        width, _ = self.tile_size
        if not self.columns or not width:
            return MIN_ZOOM
        room = self.width() - LABEL_WIDTH - GAP * (len(self.columns) + 1)
        return max(MIN_ZOOM, min(MAX_ZOOM, room // (width * len(self.columns))))

    def tile_rect(self, row: int, column: int) -> QRect:
        zoom = self.zoom()
        width, height = self.tile_size[0] * zoom, self.tile_size[1] * zoom
        left = LABEL_WIDTH + GAP + column * (width + GAP)
        top = HEADER_HEIGHT + GAP + row * (height + GAP)
        return QRect(left, top, width, height)

    def _fit(self) -> None:
        """As tall (and at least as wide) as the tiles at the current zoom: a scroll area
        around it scrolls instead of shrinking them."""
        if not self.rows:
            self.setMinimumSize(0, 0)
            return
        zoom = MIN_ZOOM
        width = LABEL_WIDTH + GAP + len(self.columns) * (self.tile_size[0] * zoom + GAP)
        bottom = self.tile_rect(len(self.rows) - 1, 0).bottom() + GAP + 1
        self.setMinimumSize(width, bottom)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    # --- drawing --------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        text = self.palette().text().color()
        painter.setPen(text)
        if not self.tiles:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        centre = Qt.AlignmentFlag.AlignCenter
        for column, label in enumerate(self.columns):
            rect = self.tile_rect(0, column)
            painter.drawText(QRect(rect.left(), 0, rect.width(), HEADER_HEIGHT), centre, label)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, label in enumerate(self.rows):
            rect = self.tile_rect(row, 0)
            painter.drawText(QRect(0, rect.top(), LABEL_WIDTH - 6, rect.height()), right, label)
            for column in range(len(self.columns)):
                index = row * len(self.columns) + column
                if index < len(self.tiles):
                    painter.drawPixmap(self.tile_rect(row, column), self.tiles[index])
        painter.end()

    def row_at(self, y: int) -> int | None:
        for row in range(len(self.rows)):
            rect = self.tile_rect(row, 0)
            if rect.top() - GAP <= y <= rect.bottom() + GAP:
                return row
        return None

    def mouseMoveEvent(self, event) -> None:
        row = self.row_at(int(event.position().y()))
        tip = self.row_tips[row] if row is not None and row < len(self.row_tips) else ""
        self.setToolTip(tip)
        super().mouseMoveEvent(event)
