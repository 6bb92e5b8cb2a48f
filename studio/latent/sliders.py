"""One slider per latent dimension, decoded live while a person drags, and the traversal matrix
(each dimension swept from -3 to 3)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from studio.latent import jobs as latent_jobs
from studio.latent.tool import DecodedImage, ExplorerTool, remember, remembered
from studio.latent.traversal import TraversalMatrix

FIRST_SLIDERS = 16  # shown before "show all": more is a wall of sliders nobody reads
SLIDER_RANGE = 3.0  # three standard deviations of the prior


class SlidersTool(ExplorerTool):
    key = "sliders"
    needs_analysis = True

    def unfit_reason(self, info: dict[str, Any]) -> str:
        if info["latent_layout"] != "image":
            return ""
        size = info["latent_dim"]
        return (
            f"No sliders for this run: its latent is noise shaped like the image, {size} "
            f"values, one per pixel, not a few dimensions that each mean something. {size} "
            "sliders would each nudge one pixel of noise and none would change what is drawn. "
            "Move through this latent as a whole instead: Interpolation and Four corners blend "
            "seeds and real images."
        )

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(host, parent)
        self.values = np.zeros(0, np.float32)
        self.order: list[int] = []
        self.unused: list[bool] = []
        self.kl = None  # average KL per dimension, once the test split is encoded
        self.sliders: dict[int, QLabeledDoubleSlider] = {}
        self.names: dict[int, QLabel] = {}
        self.noise_dim = 0  # the sliders' dimensions; a conditional model's class code follows

        self.class_choice = QComboBox()
        self.class_choice.setToolTip("The class the image is drawn as (a conditional model)")
        self.class_label = QLabel("Class:")

        self.show_all = QCheckBox("Show all")
        self.show_all.setChecked(remembered("show_all", 0) == 1)
        self.show_all.setToolTip(f"Show every dimension, not only the first {FIRST_SLIDERS}")
        self.order_note = QLabel()
        self.order_note.setWordWrap(True)
        self.reset = QPushButton("Centre")
        self.reset.setToolTip("Every dimension back to 0, the centre of the prior")
        self.randomise = QPushButton("Random")
        self.randomise.setToolTip("A random point drawn from the prior")
        self.matrix_button = QPushButton("Traversal matrix")
        self.matrix_button.setToolTip(
            "Each shown dimension (rows) set to -3 ... 3 (columns), the others as they are"
        )
        self.save_matrix = QPushButton("Save matrix...")
        self.save_matrix.setToolTip("The traversal matrix as a PNG image")
        self.save_matrix.setEnabled(False)

        self.rows = QGridLayout()
        holder = QWidget()
        holder.setLayout(self.rows)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        buttons = QHBoxLayout()
        for button in (self.class_label, self.class_choice, self.reset, self.randomise,
                       self.show_all):  # fmt: skip
            buttons.addWidget(button)
        buttons.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.order_note)
        left_layout.addWidget(scroll, 1)

        self.image = DecodedImage("Open a run with a latent space to move through it")
        self.image.setToolTip("The decoded image of the point the sliders describe")
        self.matrix = TraversalMatrix("Traversal matrix: press the button")
        # Rows at a size that shows what each dimension changes: more rows than fit scroll.
        self.matrix_area = QScrollArea()
        self.matrix_area.setWidgetResizable(True)
        self.matrix_area.setWidget(self.matrix)
        self.matrix_area.setToolTip(
            "Rows: dimensions in the order of the sliders; columns: the value each is set to"
        )
        matrix_buttons = QHBoxLayout()
        matrix_buttons.addWidget(self.matrix_button)
        matrix_buttons.addWidget(self.save_matrix)
        matrix_buttons.addStretch(1)
        matrix_side = QWidget()
        matrix_layout = QVBoxLayout(matrix_side)
        matrix_layout.setContentsMargins(0, 0, 0, 0)
        matrix_layout.addLayout(matrix_buttons)
        matrix_layout.addWidget(self.matrix_area, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.image)
        right.addWidget(matrix_side)
        right.setSizes([200, 400])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([420, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.image.drawn.connect(self.report_redraw)
        self.show_all.toggled.connect(self._show_all_toggled)
        self.reset.clicked.connect(lambda: self.set_noise(np.zeros(self.noise_dim)))
        self.randomise.clicked.connect(
            lambda: self.set_noise(np.random.default_rng().standard_normal(self.noise_dim))
        )
        self.class_choice.currentIndexChanged.connect(self._class_chosen)
        self.matrix_button.clicked.connect(self.request_matrix)
        self.save_matrix.clicked.connect(self.ask_export)

    # --- the model ---------------------------------------------------------------------------
    def set_model(self, info: dict[str, Any] | None) -> None:
        total = 0 if info is None else info["latent_dim"]
        classes = [] if info is None else info.get("conditional_classes", [])
        dim = self.noise_dim = total - len(classes)
        self.values = np.zeros(total, np.float32)
        self.class_choice.blockSignals(True)
        self.class_choice.clear()
        self.class_choice.addItems(classes)
        self.class_choice.blockSignals(False)
        if classes:
            self.values[dim] = 1.0  # the first class
        self.class_choice.setVisible(bool(classes))
        self.class_label.setVisible(bool(classes))
        self.order, self.unused, self.kl = list(range(dim)), [False] * dim, None
        self.order_note.setText(
            "" if info is None or not info["can_encode"] else "Ordering by use (KL)..."
        )
        self.image.show_array(None)
        self.matrix.show_matrix(None)
        self.save_matrix.setEnabled(False)
        self._build_rows()
        super().set_model(info)

    def set_analysis(self, analysis: dict[str, Any]) -> None:
        if analysis.get("kl") is None:
            self.order_note.setText(
                "<small>Dimensions in their own order (this kind has no KL to rank them by)."
                "</small>"
            )
            return
        self.order, self.unused, self.kl = analysis["order"], analysis["unused"], analysis["kl"]
        unused = sum(self.unused)
        self.order_note.setText(
            "<small>Ordered by average KL on the test split, most informative first"
            + (f"; {unused} near zero, marked unused." if unused else ".")
            + "</small>"
        )
        self._build_rows()

    def _build_rows(self) -> None:
        while self.rows.count():
            widget = self.rows.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.sliders, self.names = {}, {}
        kl = self.kl
        for row, (dim, unused) in enumerate(zip(self.order, self.unused, strict=True)):
            name = QLabel(f"z{dim}" + (" <i>(unused)</i>" if unused else ""))
            if unused:
                name.setEnabled(False)  # drawn greyed: moving it changes (almost) nothing
            if kl is not None and dim < len(kl):
                name.setToolTip(f"Average KL {kl[dim]:.3f} nats per image")
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setRange(-SLIDER_RANGE, SLIDER_RANGE)
            slider.setDecimals(2)
            slider.setValue(float(self.values[dim]))
            slider.setToolTip(f"Latent dimension {dim}: drag to see the image change")
            slider.valueChanged.connect(lambda value, d=dim: self._slider_moved(d, value))
            self.rows.addWidget(name, row, 0)
            self.rows.addWidget(slider, row, 1)
            self.sliders[dim], self.names[dim] = slider, name
        self._show_all_toggled(self.show_all.isChecked())

    def _show_all_toggled(self, checked: bool) -> None:
        remember("show_all", int(checked))
        for row, dim in enumerate(self.order):
            visible = checked or row < FIRST_SLIDERS
            self.sliders[dim].setVisible(visible)
            self.names[dim].setVisible(visible)
        self.show_all.setVisible(len(self.order) > FIRST_SLIDERS)

    def shown_dimensions(self) -> list[int]:
        return [dim for dim in self.order if self.sliders[dim].isVisibleTo(self)]

    # --- moving ------------------------------------------------------------------------------
    def _slider_moved(self, dim: int, value: float) -> None:
        self.values[dim] = value
        self.request()

    def _class_chosen(self, index: int) -> None:
        if index < 0:
            return
        self.values[self.noise_dim :] = 0.0
        self.values[self.noise_dim + index] = 1.0
        self.request()

    def set_noise(self, values) -> None:
        """Move every slider at once (the class stays), with one decode rather than one per
        slider."""
        noise = np.clip(np.asarray(values, np.float32), -SLIDER_RANGE, SLIDER_RANGE)
        self.values = np.concatenate([noise, self.values[self.noise_dim :]])
        for dim, slider in self.sliders.items():
            slider.blockSignals(True)
            slider.setValue(float(self.values[dim]))
            slider.blockSignals(False)
        self.request()

    def request(self) -> None:
        if self.info is None:
            return
        self.mark_change()
        self.run_job("decode", latent_jobs.decode_point, self.values.tolist())

    def request_matrix(self) -> None:
        if self.info is None:
            return
        dims = self.shown_dimensions()
        self.run_job("matrix", latent_jobs.traversal_matrix, self.values.tolist(), dims)

    def on_result(self, name: str, value: dict[str, Any]) -> None:
        if name == "decode":
            self.image.show_array(value["image"])
        elif name == "matrix":
            self.show_matrix(value)
            self.save_matrix.setEnabled(True)
        else:
            super().on_result(name, value)

    def show_matrix(self, value: dict[str, Any]) -> None:
        """Each row labelled with its dimension (and "unused" for one the model ignores);
        each column with the value the dimension is set to."""
        unused = dict(zip(self.order, self.unused, strict=False))
        rows = [f"z{d}" + (" (unused)" if unused.get(d) else "") for d in value["dims"]]
        kl = self.kl
        tips = [
            f"Latent dimension {d}" + (f": average KL {kl[d]:.3f} nats" if kl is not None else "")
            for d in value["dims"]
        ]
        columns = [f"{v:+g}" if v else "0" for v in value.get("values", ())]
        self.matrix.show_matrix(value["images"], rows, columns, value["grid"], tips)

    def ask_export(self) -> None:
        self.ask_save_image("Save traversal matrix", "traversal.png", self.matrix.array)

    def export(self, path: str) -> None:
        self.save_image(path, self.matrix.array)
