"""The selected row in detail: the model's input enlarged, what was done to it, and the three
nearest training images in the classifier's feature space (evidence a person can check)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from models.inference.file_results import FileResult
from studio.classify.explanation_view import ExplanationView
from studio.classify.table import pixmap_of, smoothing_note

LARGE = 140
NEIGHBOUR = 72  # three side by side leave the results table room for every column


class RowDetails(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.key: str | None = None
        self.title = QLabel("Select a row to see it in detail.")
        self.title.setWordWrap(True)
        self.model_input = QLabel()
        self.model_input.setFixedSize(LARGE, LARGE)
        self.model_input.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.model_input.setToolTip("The image exactly as the model saw it")
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        # Why a clean image stops short of 100 %, for a classifier trained with label smoothing.
        self.smoothing = QLabel()
        self.smoothing.setWordWrap(True)
        self.smoothing.hide()
        self.smoothing_text = ""
        box = QGroupBox("Nearest training images")
        box.setToolTip(
            "The three training images the classifier finds most alike (cosine similarity of "
            "its features): if they do not look like the file, distrust the prediction"
        )
        grid = QGridLayout(box)
        self.neighbour_images: list[QLabel] = []
        self.neighbour_captions: list[QLabel] = []
        for column in range(3):
            image, caption = QLabel(), QLabel()
            image.setFixedSize(NEIGHBOUR, NEIGHBOUR)
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(image, 0, column)
            grid.addWidget(caption, 1, column)
            self.neighbour_images.append(image)
            self.neighbour_captions.append(caption)
        self.neighbour_note = QLabel("")
        grid.addWidget(self.neighbour_note, 2, 0, 1, 3)
        self.explanation = ExplanationView()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.model_input, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.steps)
        layout.addWidget(self.smoothing)
        layout.addWidget(self.explanation)
        layout.addWidget(box)
        layout.addStretch(1)

    def set_classifier(self, info) -> None:
        """A classify_jobs.ClassifierInfo: what its probabilities can be expected to reach."""
        self.smoothing_text = smoothing_note(
            getattr(info, "label_smoothing", 0.0), len(info.class_names)
        )

    def show_result(self, result: FileResult | None) -> None:
        self._clear_neighbours("")
        ok = result is not None and result.ok
        self.explanation.expect(result.path if ok else None)
        self.smoothing.setText(f"<small>{self.smoothing_text}</small>" if ok else "")
        self.smoothing.setVisible(ok and bool(self.smoothing_text))
        if result is None:
            self.key = None
            self.title.setText("Select a row to see it in detail.")
            self.model_input.clear()
            self.steps.clear()
            return
        self.key = result.path
        if not result.ok:
            self.title.setText(f"{result.path}\ncould not be classified: {result.reason}")
            self.model_input.clear()
            self.steps.clear()
            return
        guesses = ", ".join(
            f"{n} {p:.0%}" for n, p in zip(result.labels, result.probabilities, strict=False)
        )
        self.title.setText(f"{result.path}\n{guesses}; entropy {result.entropy:.2f} bits")
        self.model_input.setPixmap(pixmap_of(result.pixels, LARGE))
        self.steps.setText("\n".join(result.steps) or "Used as it is.")
        self.neighbour_note.setText("Looking for the nearest training images...")

    def show_neighbours(self, neighbours) -> None:
        if neighbours.key != self.key:
            return  # an answer for a row no longer selected
        self._clear_neighbours("")
        for index, image in enumerate(neighbours.images):
            self.neighbour_images[index].setPixmap(pixmap_of(image, NEIGHBOUR))
            label = neighbours.labels[index] if index < len(neighbours.labels) else "?"
            similarity = neighbours.similarities[index]
            self.neighbour_captions[index].setText(f"{label}  ({similarity:.2f})")

    def show_explanation(self, explanation) -> None:
        """A classify_jobs.Explanation for the selected row (others are ignored)."""
        self.explanation.show_overlay(explanation.key, explanation.overlay, explanation.method)

    def show_neighbour_error(self, message: str) -> None:
        self._clear_neighbours(f"Nearest training images unavailable: {message}")

    def _clear_neighbours(self, note: str) -> None:
        for image, caption in zip(self.neighbour_images, self.neighbour_captions, strict=False):
            image.clear()
            caption.clear()
        self.neighbour_note.setText(note)
