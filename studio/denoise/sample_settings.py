"""What one sample of a many-step sampler is: a seed, a class (when the run was trained with
classes), a guidance scale and a step count. Both denoising tools ask with these."""

from __future__ import annotations

import random
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from studio.latent.endpoint import MAX_SEED

MAX_STEPS = 1000  # the training timesteps: DDIM cannot take more


class SampleSettings(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setValue(3)
        self.seed.setToolTip("The starting noise this seed stands for (the same on the latent "
                             "page and on the command line)")  # fmt: skip
        self.reroll = QPushButton("Re-roll")
        self.reroll.setToolTip("A new random seed")
        self.label = QComboBox()
        self.label.setToolTip("The class the sample is asked for; without a class the model "
                              "draws what it learned with the class hidden")  # fmt: skip
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, 20.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setToolTip(
            "Classifier-free guidance: 0 ignores the class, 1 follows it as trained, above 1 "
            "exaggerates it (clearer, less varied)"
        )
        self.steps = QSpinBox()
        self.steps.setRange(1, MAX_STEPS)
        self.steps.setToolTip("Sampling steps (DDIM): more is slower and usually cleaner")

        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.reroll)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Seed", seed_row)
        self.form.addRow("Class", self.label)
        self.form.addRow("Guidance", self.guidance)
        self.form.addRow("Steps", self.steps)

        self.seed.valueChanged.connect(self._seed_changed)
        self.reroll.clicked.connect(lambda: self.seed.setValue(random.randint(0, MAX_SEED)))
        self.label.currentIndexChanged.connect(self._label_changed)
        self.guidance.valueChanged.connect(self.changed)
        self.steps.valueChanged.connect(self.changed)
        self.set_model(None)

    def set_model(self, info: dict[str, Any] | None) -> None:
        """The opened run's classes and its own sampling defaults (no signal: the tool asks
        once when it is ready)."""
        classes = [] if info is None else info.get("conditional_classes", [])
        for widget in (self.seed, self.label, self.guidance, self.steps):
            widget.blockSignals(True)
        self.label.clear()
        for index, name in enumerate(classes):
            self.label.addItem(f"Class {name}", index)
        self.label.addItem("No class", None)
        if classes:
            # The class the seed picks, as `image-studio denoise` draws a seed by default.
            self.label.setCurrentIndex(self.seed.value() % len(classes))
        self.form.setRowVisible(self.label, bool(classes))
        self.form.setRowVisible(self.guidance, bool(classes))
        if info is not None:
            self.guidance.setValue(info.get("guidance") or 0.0)
            self.steps.setValue(info.get("sampling_steps") or 50)
        for widget in (self.seed, self.label, self.guidance, self.steps):
            widget.blockSignals(False)
        self._enable_guidance()

    def spec(self) -> dict[str, Any]:
        label = self.label.currentData()
        return {
            "seed": self.seed.value(),
            "label": None if label is None else int(label),
            "guidance": self.guidance.value(),
            "steps": self.steps.value(),
        }

    def describe(self) -> str:
        """'seed 3, class 7, guidance 2, 50 steps', for captions and file names."""
        spec = self.spec()
        parts = [f"seed {spec['seed']}"]
        if self.label.count() > 1:
            if spec["label"] is None:
                parts.append("no class")
            else:
                parts.append(f"{self.label.currentText().lower()}, guidance {spec['guidance']:g}")
        parts.append(f"{spec['steps']} steps")
        return ", ".join(parts)

    def _seed_changed(self, _value: int) -> None:
        self.changed.emit()

    def _label_changed(self, _index: int) -> None:
        self._enable_guidance()
        self.changed.emit()

    def _enable_guidance(self) -> None:
        # Guidance pulls towards a class: without one there is nothing to pull towards.
        self.guidance.setEnabled(self.label.currentData() is not None)
