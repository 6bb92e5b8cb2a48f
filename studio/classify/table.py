"""The results table: one row per classified file, appended a batch at a time, with the
file (its name over its folder), the image as the model saw it, top-k probability bars,
confidence and entropy (studio.classify.table_view draws it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRect, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate

from models.inference.file_results import FileResult, max_entropy_bits

COLUMNS = ("File", "Picture", "Model input", "Prediction", "Confidence", "Entropy", "Notes")
FILE, PICTURE, MODEL_INPUT, PREDICTION, CONFIDENCE, ENTROPY, NOTES = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # numbers for numeric columns, not their text
BARS_ROLE = Qt.ItemDataRole.UserRole + 2  # (labels, probabilities) for the bar delegate
FOLDER_ROLE = Qt.ItemDataRole.UserRole + 3  # the file's folder, drawn under its name
PIXMAP_SIDE = 56
PROBABILITY_ROW = PIXMAP_SIDE + 6  # row height: a thumbnail, or three probability bars
UNSURE_SHARE = 0.5  # entropy above this share of the maximum is marked as unsure
UNSURE_COLOUR = QColor(255, 196, 120, 110)
FAILED = "Could not classify"
FAILED_COLOUR = QColor(176, 0, 32)
NO_PARENT = QModelIndex()


def pixmap_of(pixels: np.ndarray, side: int = PIXMAP_SIDE) -> QPixmap:
    """uint8 (H, W, 1|3) as a pixmap at most `side` pixels; small images are enlarged with
    whole pixels (no blur), since a 28x28 digit is otherwise too small to judge."""
    pixels = np.ascontiguousarray(pixels)
    height, width, channels = pixels.shape
    fmt = QImage.Format.Format_Grayscale8 if channels == 1 else QImage.Format.Format_RGB888
    image = QImage(pixels.data, width, height, width * channels, fmt).copy()
    return QPixmap.fromImage(image).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )


def folder_of(path: str) -> str:
    """The folder a file is in, as a person reads it ("~" for their home); "" for a pasted
    image, which has none. Two files of one name in different folders differ here."""
    parent = Path(path).parent
    if parent == Path("."):
        return ""
    home = Path.home()
    if parent == home or home in parent.parents:
        return str(Path("~") / parent.relative_to(home))
    return str(parent)


def smoothing_note(label_smoothing: float, class_count: int) -> str:
    """Why a clean image's probability stops short of 100 %: label smoothing trains the model
    towards 1 - s + s/K for the right class, not 1 (empty when it trained without)."""
    if label_smoothing <= 0 or class_count < 2:
        return ""
    target = 1.0 - label_smoothing + label_smoothing / class_count
    return (
        f"Why not 100%? This classifier was trained with label smoothing {label_smoothing:g}, "
        f"which aims at {target:.0%} for the right class: a clean image scores about "
        f"{target:.0%}, rarely above 95%."
    )


def note_of(result: FileResult) -> str:
    """What was done to a file before the model saw it, in a word or two for the table (the
    full sentences are in the details beside it)."""
    notes = ["inverted"] if result.inverted else []
    if any(step.startswith("levels stretched") for step in result.steps):
        notes.append("levels stretched")
    return ", ".join(notes)


class ResultsModel(QAbstractTableModel):
    """FileResults in arrival order; pixmaps are made when a row is first drawn."""

    def __init__(self, class_count: int = 10, parent=None):
        super().__init__(parent)
        self.results: list[FileResult] = []
        self.class_count = class_count
        self.label_smoothing = 0.0  # of the classifier whose answers these are
        self._pixmaps: dict[tuple[int, int], QPixmap] = {}

    def set_class_count(self, count: int) -> None:
        self.class_count = max(1, count)

    def set_classifier(self, info) -> None:
        """A classify_jobs.ClassifierInfo: its classes and how it was trained."""
        self.set_class_count(len(info.class_names))
        self.label_smoothing = getattr(info, "label_smoothing", 0.0)

    def rowCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.results)

    def columnCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def append(self, batch: list[FileResult]) -> None:
        if not batch:
            return
        first = len(self.results)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self.results.extend(batch)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.results.clear()
        self._pixmaps.clear()
        self.endResetModel()

    def unsure(self, result: FileResult) -> bool:
        return result.entropy is not None and result.entropy > UNSURE_SHARE * max_entropy_bits(
            self.class_count
        )

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        result = self.results[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(result, column)
        if role == SORT_ROLE:
            return self._sort_key(result, column, index.row())
        if role == Qt.ItemDataRole.DecorationRole and column in (PICTURE, MODEL_INPUT):
            return self._pixmap(index.row(), column, result)
        if role == FOLDER_ROLE and column == FILE:
            return folder_of(result.path)
        if role == BARS_ROLE and column == PREDICTION:
            return (result.labels, result.probabilities)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(result, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == ENTROPY and self.unsure(result):
            return QBrush(UNSURE_COLOUR)
        return None

    def _text(self, result: FileResult, column: int) -> str | None:
        if column == FILE:
            return Path(result.path).name or result.path
        if column == PREDICTION:
            if not result.ok:  # the widest column in view says why, not only Notes far right
                return result.reason
            return "  ".join(
                f"{label} {p:.0%}"
                for label, p in zip(result.labels, result.probabilities, strict=False)
            )
        if column == CONFIDENCE:
            return "" if result.probability is None else f"{result.probability:.1%}"
        if column == ENTROPY:
            return "" if result.entropy is None else f"{result.entropy:.2f}"
        if column == NOTES:
            return result.reason if not result.ok else note_of(result)
        return None

    def _sort_key(self, result: FileResult, column: int, row: int):
        if column == CONFIDENCE:
            return -1.0 if result.probability is None else result.probability
        if column == ENTROPY:
            return float("inf") if result.entropy is None else result.entropy
        if column == PREDICTION:
            return result.label or ""
        if column == NOTES:
            return result.reason or note_of(result)
        if column == FILE:
            return result.path
        return row

    def _tip(self, result: FileResult, column: int) -> str | None:
        if column == FILE:
            return result.path
        if column in (CONFIDENCE, PREDICTION) and result.ok:
            sure = f"{result.probability:.1%} for {result.label}"
            note = smoothing_note(self.label_smoothing, self.class_count)
            return f"{sure}\n\n{note}" if note else sure
        if column == MODEL_INPUT and result.ok:
            return "What the model was given:\n" + (
                "\n".join(result.steps) if result.steps else "the file as it is"
            )
        if column in (NOTES, PREDICTION) and not result.ok:
            return result.reason
        if column == NOTES and result.steps:
            note = note_of(result)
            return "\n".join([f"{note}:", *result.steps] if note else result.steps)
        if column == ENTROPY and result.entropy is not None:
            return (
                f"{result.entropy:.2f} bits of {max_entropy_bits(self.class_count):.2f} possible: "
                + ("unsure" if self.unsure(result) else "fairly sure")
            )
        return None

    def _pixmap(self, row: int, column: int, result: FileResult) -> QPixmap | None:
        pixels = result.thumbnail if column == PICTURE else result.pixels
        if pixels is None:
            return None
        key = (row, column)
        if key not in self._pixmaps:
            self._pixmaps[key] = pixmap_of(pixels)
        return self._pixmaps[key]


HEADER_TIPS = (
    "The file's name over its folder (hover for its full path)",
    "The file as you see it",
    "The image exactly as the model saw it: converted, resized and inverted like its "
    "training images",
    "The most likely labels, with their probabilities",
    "The probability of the most likely label",
    "How unsure the model is, in bits (0 = certain); high values are marked",
    "What was done to the image, or why it could not be classified",
)


class ResultsFilter(QSortFilterProxyModel):
    """Sorts by numbers rather than text and keeps only rows with one predicted label."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label: str | None = None  # None: every row; FAILED: rows that could not classify
        self.setSortRole(SORT_ROLE)

    def set_label(self, label: str | None) -> None:
        self.label = label
        self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        if self.label is None:
            return True
        result = self.sourceModel().results[row]
        if self.label == FAILED:
            return not result.ok
        return result.label == self.label


class ProbabilityBars(QStyledItemDelegate):
    """Draws each top-k label with a bar as long as its probability."""

    def paint(self, painter, option, index) -> None:
        labels, probabilities = index.data(BARS_ROLE) or ((), ())
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        if not labels:
            self._paint_reason(painter, option, index.data(Qt.ItemDataRole.DisplayRole))
            return
        painter.save()
        rect = option.rect.adjusted(4, 3, -4, -3)
        line = max(1, rect.height() // max(len(labels), 1))
        label_width = min(90, rect.width() // 3)
        text_colour = option.palette.text().color()
        for rank, (label, p) in enumerate(zip(labels, probabilities, strict=False)):
            top = rect.top() + rank * line
            painter.setPen(text_colour)
            painter.drawText(
                QRect(rect.left(), top, label_width, line),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                f"{label}",
            )
            bar_left = rect.left() + label_width + 4
            bar_width = max(0, rect.width() - label_width - 52)
            painter.fillRect(
                QRect(bar_left, top + 2, int(bar_width * p), max(1, line - 4)),
                QColor(70, 130, 220) if rank == 0 else QColor(150, 170, 200),
            )
            painter.drawText(
                QRect(bar_left + bar_width + 4, top, 44, line),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                f"{p:.0%}",
            )
        painter.restore()

    @staticmethod
    def _paint_reason(painter, option, reason: str | None) -> None:
        """A file that could not be classified: its reason, wrapped to the row's height."""
        if not reason:
            return
        painter.save()
        selected = option.state & QStyle.StateFlag.State_Selected
        painter.setPen(option.palette.highlightedText().color() if selected else FAILED_COLOUR)
        painter.drawText(
            option.rect.adjusted(4, 3, -4, -3),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
            reason,
        )
        painter.restore()
