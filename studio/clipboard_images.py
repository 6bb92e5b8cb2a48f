"""What a drop or the clipboard holds: local files and folders, or an image's pixels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QImage


def mime_sources(mime: QMimeData) -> tuple[list[str], QImage | None]:
    """Local files and folders in a drop or the clipboard, and an image if it holds one."""
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    image = None
    if not paths and mime.hasImage():
        image = QImage(mime.imageData())
    return paths, image


def rgba_pixels(image: QImage) -> np.ndarray:
    """A QImage as a uint8 (H, W, 4) array that owns its memory (safe for another thread)."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : width * 4].reshape(height, width, 4).copy()
