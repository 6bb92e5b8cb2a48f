"""A before/after view: the input left of a split line, the output right of it, the line dragged
with the mouse; the wheel zooms about the pointer and a drag elsewhere pans.

Views that share one `ZoomPan` zoom and pan in step (the bicubic enlargement beside the
model's). Every picture is drawn in the frame of the largest one, so a small input sits
exactly under its enlargement; enlarged pixels stay square (no smoothing) so a person sees
what each method made, not what the screen's scaling made of it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

GRAB_PIXELS = 8  # how near the split line a press must be to move it
MIN_ZOOM, MAX_ZOOM = 0.05, 64.0


def to_qimage(pixels: np.ndarray) -> QImage:
    """A uint8 (H, W[, 1|3]) array as a QImage that owns its own copy of the pixels."""
    pixels = np.ascontiguousarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = np.ascontiguousarray(pixels[..., 0])
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


class ZoomPan(QObject):
    """Zoom (screen pixels per picture pixel; None fits the view) and the picture point at the
    view's centre, shared by the views that move in step."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.zoom: float | None = None
        self.centre = QPointF(0.0, 0.0)

    def fit(self) -> None:
        self.zoom = None
        self.changed.emit()

    def set(self, zoom: float, centre: QPointF) -> None:
        self.zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self.centre = QPointF(centre)
        self.changed.emit()


class BeforeAfterView(QWidget):
    split_moved = Signal(float)

    def __init__(self, zoom_pan: ZoomPan | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.zoom_pan = zoom_pan or ZoomPan(self)
        self.zoom_pan.changed.connect(self.update)
        self.before: QImage | None = None
        self.after: QImage | None = None
        self.before_label, self.after_label = "Before", "After"
        self.split = 0.5  # of the view's width
        self.empty_text = ""
        self._dragging_split = False
        self._pan_from: tuple[QPointF, QPointF] | None = None  # pointer, centre at the press
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    # --- what is shown ---------------------------------------------------------------------
    def set_pictures(self, before: np.ndarray | None, after: np.ndarray | None) -> None:
        self.before = to_qimage(before) if before is not None else None
        self.after = to_qimage(after) if after is not None else None
        self.update()

    def set_labels(self, before: str, after: str) -> None:
        self.before_label, self.after_label = before, after
        self.update()

    def set_split(self, fraction: float) -> None:
        self.split = min(1.0, max(0.0, fraction))
        self.update()
        self.split_moved.emit(self.split)

    @property
    def has_split(self) -> bool:
        return self.before is not None and self.after is not None

    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the frame every picture is drawn in: the largest picture's."""
        sizes = [(i.width(), i.height()) for i in (self.before, self.after) if i is not None]
        return max(sizes, key=lambda s: s[0] * s[1]) if sizes else (1, 1)

    # --- geometry --------------------------------------------------------------------------
    def scale(self) -> float:
        width, height = self.frame_size()
        if self.zoom_pan.zoom is None:
            return max(MIN_ZOOM, min(self.width() / width, self.height() / height))
        return self.zoom_pan.zoom

    def centre(self) -> QPointF:
        if self.zoom_pan.zoom is None:
            width, height = self.frame_size()
            return QPointF(width / 2, height / 2)
        return self.zoom_pan.centre

    def target(self) -> QRectF:
        """Where the frame lands on screen."""
        width, height = self.frame_size()
        scale, centre = self.scale(), self.centre()
        left = self.width() / 2 - centre.x() * scale
        top = self.height() / 2 - centre.y() * scale
        return QRectF(left, top, width * scale, height * scale)

    def split_x(self) -> float:
        return self.split * self.width()

    # --- drawing ---------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self.before is None and self.after is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.empty_text)  # fmt: skip
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        target = self.target()
        if self.has_split:
            x = self.split_x()
            painter.save()
            painter.setClipRect(QRectF(0, 0, x, self.height()))
            painter.drawImage(target, self.before)
            painter.restore()
            painter.save()
            painter.setClipRect(QRectF(x, 0, self.width() - x, self.height()))
            painter.drawImage(target, self.after)
            painter.restore()
            self._draw_split(painter, x)
            self._draw_label(painter, self.before_label, left=True)
            self._draw_label(painter, self.after_label, left=False)
        else:
            shown = self.after if self.after is not None else self.before
            painter.drawImage(target, shown)
            label = self.after_label if self.after is not None else self.before_label
            self._draw_label(painter, label, left=True)

    def _draw_split(self, painter: QPainter, x: float) -> None:
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.setPen(QPen(QColor(255, 255, 255), 1))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        handle = QRectF(x - 6, self.height() / 2 - 16, 12, 32)
        painter.setBrush(QColor(255, 255, 255))
        painter.setPen(QPen(QColor(0, 0, 0, 160), 1))
        painter.drawRoundedRect(handle, 4, 4)

    def _draw_label(self, painter: QPainter, text: str, left: bool) -> None:
        if not text:
            return
        metrics = painter.fontMetrics()
        box = QRectF(0, 0, metrics.horizontalAdvance(text) + 10, metrics.height() + 4)
        box.moveTop(6)
        if left:
            box.moveLeft(6)
        else:
            box.moveRight(self.width() - 6)
        painter.fillRect(box, QColor(0, 0, 0, 150))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # --- the mouse -------------------------------------------------------------------------
    def near_split(self, x: float) -> bool:
        return self.has_split and abs(x - self.split_x()) <= GRAB_PIXELS

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        position = event.position()
        if self.near_split(position.x()):
            self._dragging_split = True
        else:
            self._pan_from = (position, self.centre())
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        position = event.position()
        if self._dragging_split:
            self.set_split(position.x() / max(1, self.width()))
        elif self._pan_from is not None:
            start, centre = self._pan_from
            scale = self.scale()
            moved = (position - start) / scale
            self.zoom_pan.set(scale, centre - moved)
        else:
            near = self.near_split(position.x())
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.OpenHandCursor)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        self._dragging_split = False
        self._pan_from = None
        self.unsetCursor()
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        self.zoom_pan.fit()  # back to the whole picture
        event.accept()

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        scale = self.scale()
        pointer = event.position()
        # The picture point under the pointer stays under it.
        under = self.centre() + (pointer - QPointF(self.width() / 2, self.height() / 2)) / scale
        new_scale = min(MAX_ZOOM, max(MIN_ZOOM, scale * 1.25**steps))
        centre = under - (pointer - QPointF(self.width() / 2, self.height() / 2)) / new_scale
        self.zoom_pan.set(new_scale, centre)
        event.accept()
