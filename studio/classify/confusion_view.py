"""Test-set evaluation: accuracy, a confusion matrix whose cells open the images in them, and
per-class precision and recall."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.classify.table import pixmap_of

ROW_HEIGHT = 24  # pixels per class row
GALLERY_LIMIT = 400  # images shown for one cell; a diagonal cell of MNIST holds ~1,000


class ConfusionView(QWidget):
    evaluate_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.result = None  # studio.classify.jobs.TestSetResult
        self.evaluate_button = QPushButton("&Evaluate on the test set")
        self.evaluate_button.setToolTip(
            "Classify the run's held-out test images and show where it goes wrong"
        )
        self.evaluate_button.clicked.connect(self.evaluate_requested)
        self.summary = QLabel("Evaluate a classifier to see its accuracy and its mistakes.")
        self.summary.setWordWrap(True)
        self.matrix = QTableWidget()
        self.matrix.setToolTip(
            "Rows: the true class; columns: the predicted class. Click a cell to see its images."
        )
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.cellClicked.connect(self.show_cell)
        # Compact rows: ten classes fit in a laptop window without scrolling the matrix.
        self.matrix.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.per_class = QTableWidget(0, 3)
        self.per_class.setHorizontalHeaderLabels(["Precision", "Recall", "Test images"])
        self.per_class.setToolTip(
            "Precision: of the images predicted as this class, the share that are it.\n"
            "Recall: of this class's images, the share predicted as it."
        )
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.gallery_title = QLabel("")
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(56, 56))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setUniformItemSizes(True)

        top = QHBoxLayout()
        top.addWidget(self.evaluate_button)
        top.addWidget(self.summary, 1)
        tables = QSplitter(Qt.Orientation.Horizontal)
        tables.addWidget(self.matrix)
        tables.addWidget(self.per_class)
        tables.setSizes([560, 300])
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.gallery_title)
        lower_layout.addWidget(self.gallery)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(tables)
        split.addWidget(lower)
        # The matrix is what people read; the gallery below gets what is left (one row of
        # images at least) and grows with the window.
        split.setSizes([11 * ROW_HEIGHT + 30, 120])
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def set_busy(self, busy: bool) -> None:
        self.evaluate_button.setEnabled(not busy)
        if busy:
            self.summary.setText("Evaluating on the test set...")

    def show_result(self, result) -> None:
        self.result = result
        evaluation = result.evaluation
        names = list(evaluation.class_names)
        confusion = evaluation.confusion
        total = int(confusion.sum())
        wrong = total - int(np.trace(confusion))
        self.summary.setText(
            f"{result.run_name}: accuracy {evaluation.accuracy:.1%} on {total} test images "
            f"({wrong} misclassified). Click a cell to see its images."
        )
        self.matrix.clear()
        self.matrix.setRowCount(len(names))
        self.matrix.setColumnCount(len(names))
        self.matrix.setHorizontalHeaderLabels([f"→ {n}" for n in names])
        self.matrix.setVerticalHeaderLabels(names)
        largest_error = max(1, int((confusion - np.diag(np.diag(confusion))).max()))
        for t in range(len(names)):
            for p in range(len(names)):
                count = int(confusion[t, p])
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(f"{count} test images of {names[t]} predicted as {names[p]}")
                if t == p:
                    item.setBackground(QBrush(QColor(120, 200, 120, 90)))
                elif count:
                    item.setBackground(
                        QBrush(QColor(230, 80, 60, 40 + 180 * count // largest_error))
                    )
                self.matrix.setItem(t, p, item)
        self.matrix.resizeColumnsToContents()
        precision, recall = evaluation.precision, evaluation.recall
        self.per_class.setRowCount(len(names))
        self.per_class.setVerticalHeaderLabels(names)
        for row in range(len(names)):
            values = (precision[row], recall[row])
            for column, value in enumerate(values):
                text = "-" if math.isnan(value) else f"{value:.1%}"
                self.per_class.setItem(row, column, QTableWidgetItem(text))
            self.per_class.setItem(row, 2, QTableWidgetItem(str(int(confusion[row].sum()))))
        self.gallery.clear()
        self.gallery_title.setText("Click a cell of the matrix to see its test images here.")

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        """The images of one cell: off the diagonal, the misclassified gallery."""
        if self.result is None:
            return
        evaluation = self.result.evaluation
        names = evaluation.class_names
        chosen = evaluation.cell(true_class, predicted_class)
        what = "correctly classified" if true_class == predicted_class else "misclassified"
        shown = chosen[:GALLERY_LIMIT]
        more = f", first {len(shown)} shown" if len(chosen) > len(shown) else ""
        self.gallery_title.setText(
            f"{len(chosen)} {what}: true {names[true_class]}, "
            f"predicted {names[predicted_class]}{more}"
        )
        self.gallery.clear()
        for index in shown:
            item = QListWidgetItem(QIcon(pixmap_of(self.result.images[index])), "")
            item.setToolTip(
                f"test image {int(index)}: true {names[true_class]}, predicted "
                f"{names[predicted_class]} ({float(evaluation.confidence[index]):.0%})"
            )
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            self.gallery.addItem(item)
