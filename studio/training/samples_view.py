"""The fixed-noise sample grid as it changes, and a slider through every grid the run saved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from models.runs.folder import Run

SAMPLES, RECONSTRUCTIONS = "samples", "reconstructions"
FRAME_MS = 250  # time-lapse speed: slow enough to see each grid


def to_qimage(grid: np.ndarray) -> QImage:
    grid = np.ascontiguousarray(grid)
    height, width = grid.shape[:2]
    if grid.ndim == 2 or grid.shape[2] == 1:
        image = QImage(grid.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(grid.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()  # the QImage above only borrows the numpy buffer


class GridImage(QLabel):
    """Shows an image scaled by a whole factor, so the pixels of small digits stay sharp."""

    def __init__(self, empty_text: str):
        super().__init__(empty_text)
        self.empty_text = empty_text
        self.image: QImage | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def set_image(self, image: QImage | None) -> None:
        self.image = image if image is not None and not image.isNull() else None
        self._rescale()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self.image is None:
            self.setPixmap(QPixmap())
            self.setText(self.empty_text)
            return
        ratio = self.devicePixelRatioF()
        width, height = self.image.width(), self.image.height()
        fit = min(self.width() * ratio / width, self.height() * ratio / height)
        if fit >= 1:
            # Whole-number enlargement, no smoothing: small digits stay crisp.
            factor, mode = int(fit), Qt.TransformationMode.FastTransformation
        else:
            factor, mode = fit, Qt.TransformationMode.SmoothTransformation  # too small: shrink
        pixmap = QPixmap.fromImage(self.image).scaled(
            max(1, round(width * factor)), max(1, round(height * factor)),
            Qt.AspectRatioMode.KeepAspectRatio, mode,
        )  # fmt: skip
        pixmap.setDevicePixelRatio(ratio)
        self.setPixmap(pixmap)


class SamplesView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.run: Run | None = None
        self.steps: dict[str, list[int]] = {SAMPLES: [], RECONSTRUCTIONS: []}
        # Only the newest grids are held in memory; the history is read back from the run folder.
        self.latest: dict[str, tuple[int, np.ndarray]] = {}

        self.samples = GridImage("No samples yet")
        self.samples.setToolTip("Images generated from the same fixed noise at every step")
        self.reconstructions = GridImage("No reconstructions")
        self.reconstructions.setToolTip("Test images (left) beside the model's reconstruction")
        self.samples_title = QLabel("<b>Samples</b>")
        self.reconstructions_title = QLabel("<b>Reconstructions</b>")
        self.slider = QLabeledSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        # Its own label would show the grid's index beside "step N": two numbers, one meaning.
        self.slider.setEdgeLabelMode(QLabeledSlider.EdgeLabelMode.NoLabel)
        self.slider.setToolTip("Scrub through the grids the run saved")
        self.step_label = QLabel("step –")
        self.save_button = QPushButton("Save grid...")
        self.gif_button = QPushButton("Export time-lapse...")

        grids = QGridLayout()
        # Stacked, not side by side: the panel is taller than wide beside the loss plot, and
        # the grids are what a person came to look at, so they get the height.
        grids.addWidget(self.samples_title, 0, 0, Qt.AlignmentFlag.AlignHCenter)
        grids.addWidget(self.samples, 1, 0)
        grids.addWidget(self.reconstructions_title, 2, 0, Qt.AlignmentFlag.AlignHCenter)
        grids.addWidget(self.reconstructions, 3, 0)
        grids.setRowStretch(1, 2)
        grids.setRowStretch(3, 1)
        row = QHBoxLayout()
        row.addWidget(self.step_label)
        row.addWidget(self.slider, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.gif_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grids, 1)
        layout.addLayout(row)

        self.slider.valueChanged.connect(self._show_index)
        self.save_button.clicked.connect(self._ask_save)
        self.gif_button.clicked.connect(self._ask_gif)
        self._update_enabled()

    # --- what is shown ------------------------------------------------------------------
    def show_run(self, path: str | Path | None) -> None:
        """Show the grids saved in a run folder (or nothing), newest first."""
        self.run = Run(Path(path)) if path else None
        self.latest.clear()
        self.refresh(jump_to_end=True)

    def refresh(self, jump_to_end: bool = False) -> None:
        """Rescan the run folder; a run trained elsewhere keeps adding grids."""
        following = jump_to_end or self._at_end()
        for folder in (SAMPLES, RECONSTRUCTIONS):
            on_disk = [step for step, _ in self.run.grid_steps(folder)] if self.run else []
            live = [self.latest[folder][0]] if folder in self.latest else []
            self.steps[folder] = sorted(set(on_disk) | set(live))
        self._set_range(following)

    def add_samples(self, report) -> None:
        """A reports.Samples from the live run."""
        following = self._at_end()
        for folder, grid in ((SAMPLES, report.grid), (RECONSTRUCTIONS, report.reconstructions)):
            if grid is not None:
                self.latest[folder] = (report.step, grid)
                steps = self.steps[folder]
                if report.step not in steps:
                    steps.append(report.step)
                    steps.sort()
        self._set_range(following)

    def set_makes_images(self, makes_images: bool) -> None:
        """A classifier draws nothing: say so instead of promising samples that never come."""
        self.samples.empty_text = (
            "No samples yet"
            if makes_images
            else "A classifier makes no images.\nIts mistakes, class by class: Classify → Test set"
        )
        self.samples.set_image(self.samples.image)

    def all_steps(self) -> list[int]:
        return sorted(set(self.steps[SAMPLES]) | set(self.steps[RECONSTRUCTIONS]))

    def current_step(self) -> int | None:
        steps = self.all_steps()
        return steps[self.slider.value()] if steps else None

    def _at_end(self) -> bool:
        return self.slider.value() >= self.slider.maximum()

    def _set_range(self, to_end: bool) -> None:
        count = len(self.all_steps())
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(count - 1, 0))
        if to_end:
            self.slider.setValue(max(count - 1, 0))
        self.slider.blockSignals(False)
        self._show_index(self.slider.value())

    def _show_index(self, index: int) -> None:
        step = self.current_step()
        count = len(self.all_steps())
        self.step_label.setText(
            "step –" if step is None else f"step {step} (grid {index + 1} of {count})"
        )
        self.samples.set_image(self.image_at(SAMPLES, step))
        self.reconstructions.set_image(self.image_at(RECONSTRUCTIONS, step))
        self.reconstructions.setVisible(bool(self.steps[RECONSTRUCTIONS]))
        self.reconstructions_title.setVisible(bool(self.steps[RECONSTRUCTIONS]))
        self._update_enabled()

    def image_at(self, folder: str, step: int | None) -> QImage | None:
        if step is None:
            return None
        if folder in self.latest and self.latest[folder][0] == step:
            return to_qimage(self.latest[folder][1])
        if self.run is None:
            return None
        path = self.run.grid_path(step, folder)
        return QImage(str(path)) if path.exists() else None

    def _update_enabled(self) -> None:
        has_grid = self.samples.image is not None or self.reconstructions.image is not None
        self.save_button.setEnabled(has_grid)
        on_disk = self.run is not None and bool(self._frame_paths())
        self.gif_button.setEnabled(on_disk)

    # --- saving -------------------------------------------------------------------------
    def save_grid(self, path: str | Path) -> None:
        image = self.samples.image or self.reconstructions.image
        if image is None or not image.save(str(path)):
            raise OSError(f"could not save the grid to {path}")

    def _frame_paths(self) -> list[Path]:
        if self.run is None:
            return []
        return [p for _, p in self.run.grid_steps(SAMPLES)] or [
            p for _, p in self.run.grid_steps(RECONSTRUCTIONS)
        ]

    def export_timelapse(self, path: str | Path) -> int:
        """An animated GIF of every saved grid; returns the number of frames."""
        from PIL import Image

        frames = []
        for frame_path in self._frame_paths():
            with Image.open(frame_path) as image:
                frames.append(image.convert("RGB"))
        if not frames:
            raise OSError("this run has no saved grids yet")
        frames[0].save(
            path, save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0, optimize=True
        )
        return len(frames)

    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save grid", "grid.png", "PNG (*.png)")
        if path:
            self.save_grid(path)

    def _ask_gif(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export time-lapse", "samples.gif", "GIF (*.gif)"
        )
        if path:
            self.export_timelapse(path)
