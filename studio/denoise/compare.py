"""The same seed at several step counts or guidance scales, side by side: what more steps buy
and what guidance does, for the same starting noise. A few rows (the next seeds) show that
it holds beyond one picture. Drawn in the latent page's worker, with progress and Cancel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.denoise import jobs as denoise_jobs
from studio.denoise.sample_settings import MAX_STEPS, SampleSettings
from studio.denoise.view import offered_for
from studio.latent.tool import DecodedImage, ExplorerTool, remember, remembered

DEFAULTS = {"steps": "5, 10, 20, 50", "guidance": "0, 1, 2, 4"}
MAX_COLUMNS = 8


def parse_values(text: str, vary: str) -> list[float]:
    """'10, 20, 50' -> [10, 20, 50]; ValueError with one line saying what is wrong."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError("type the values to compare, e.g. " + DEFAULTS[vary])
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number") from None
        if vary == "steps" and (value != int(value) or not 1 <= value <= MAX_STEPS):
            raise ValueError(f"a step count is a whole number from 1 to {MAX_STEPS}, not {part}")
        if vary == "guidance" and not 0 <= value <= 20:
            raise ValueError(f"a guidance scale is between 0 and 20, not {part}")
        values.append(value)
    if len(values) > MAX_COLUMNS:
        raise ValueError(f"at most {MAX_COLUMNS} values side by side")
    return values


class CompareTool(ExplorerTool):
    key = "compare"

    def __init__(self, host, parent: QWidget | None = None):
        super().__init__(host, parent)
        self.comparison: denoise_jobs.Comparison | None = None
        self.settings = SampleSettings()
        self.vary = QComboBox()
        self.vary.addItem("Step count", "steps")
        self.vary.addItem("Guidance scale", "guidance")
        self.vary.setToolTip("What changes from column to column; the rest stays as set")
        self.values = QLineEdit()
        self.values.setToolTip("The values of the columns, separated by commas")
        self.rows = QSpinBox()
        self.rows.setRange(1, 6)
        self.rows.setValue(remembered("compare_rows", 3))
        self.rows.setToolTip("Rows: the seed and the seeds after it")
        self.draw_button = QPushButton("Draw")
        self.draw_button.setToolTip("Draw the grid (each column is a whole sampling run)")
        self.save_png = QPushButton("Save PNG...")
        self.save_png.setToolTip("The grid as one PNG image")
        self.save_png.setEnabled(False)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.columns = QGridLayout()  # a picture per value, its caption above it

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Vary", self.vary)
        form.addRow("Values", self.values)
        form.addRow("Rows", self.rows)
        side = QVBoxLayout()
        side.addWidget(self.settings)
        side.addLayout(form)
        side.addWidget(self.draw_button)
        side.addWidget(self.save_png)
        side.addWidget(self.note)
        side.addStretch(1)
        holder = QWidget()
        holder.setLayout(side)
        holder.setMaximumWidth(300)
        grid_holder = QWidget()
        grid_holder.setLayout(self.columns)
        layout = QHBoxLayout(self)
        layout.addWidget(holder)
        layout.addWidget(grid_holder, 1)

        self.vary.setCurrentIndex(max(0, self.vary.findData(remembered("compare_vary", "steps"))))
        self._vary_changed()
        self.vary.currentIndexChanged.connect(self._vary_changed)
        self.draw_button.clicked.connect(self.request)
        self.values.returnPressed.connect(self.request)
        self.save_png.clicked.connect(self.ask_export)

    def offered(self, info: dict[str, Any] | None) -> bool:
        return offered_for(info)

    def set_model(self, info: dict[str, Any] | None) -> None:
        self.comparison = None
        self._show_columns()
        self.settings.set_model(info)
        self._vary_changed()
        self.note.setText("")
        # Not drawn on opening: a grid is several whole sampling runs; Draw asks for it.
        self.info = info
        for endpoint in self.endpoints:
            endpoint.gallery = None

    def _vary_changed(self, _index: int = 0) -> None:
        vary = self.vary.currentData()
        self.values.setText(remembered(f"compare_{vary}", DEFAULTS[vary]))
        # The varied setting comes from the columns; the other from the form.
        self.settings.steps.setEnabled(vary != "steps")
        if vary == "steps":
            self.settings.guidance.setEnabled(self.settings.label.currentData() is not None)
        else:
            self.settings.guidance.setEnabled(False)

    def request(self) -> None:
        if self.info is None:
            return
        vary = self.vary.currentData()
        try:
            values = parse_values(self.values.text(), vary)
        except ValueError as exc:
            self.host.notify(f"Steps and guidance: {exc}")
            return
        remember("compare_vary", vary)
        remember(f"compare_{vary}", self.values.text())
        remember("compare_rows", self.rows.value())
        self.mark_change()
        self.note.setText("Drawing...")
        self.run_job("grid", denoise_jobs.comparison, self.settings.spec(), vary, values,
                     self.rows.value())  # fmt: skip

    def on_result(self, name: str, value: Any) -> None:
        if name == "grid":
            self.comparison = value
            self.note.setText(f"<small>{self._caption()}</small>")
            self._show_columns()
            self.report_redraw()
        else:
            super().on_result(name, value)

    def on_failed(self, name: str, message: str) -> None:
        if name == "grid":
            self.note.setText("")
        super().on_failed(name, message)

    def on_cancelled(self, name: str) -> None:
        if name == "grid":
            self.note.setText("Stopped before the grid was drawn.")

    def _caption(self) -> str:
        spec = self.settings.spec()
        rows = self.rows.value()
        seeds = f"seed {spec['seed']}" if rows == 1 else \
            f"seeds {spec['seed']} to {spec['seed'] + rows - 1}"  # fmt: skip
        varied = "steps" if self.comparison.vary == "steps" else "guidance scales"
        return f"Rows: {seeds}. Columns: {varied}, as captioned."

    def _show_columns(self) -> None:
        while self.columns.count():
            widget = self.columns.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.save_png.setEnabled(self.comparison is not None)
        if self.comparison is None:
            return
        unit = "steps" if self.comparison.vary == "steps" else "guidance"
        for column, value in enumerate(self.comparison.values):
            caption = f"{int(value)} steps" if unit == "steps" else f"guidance {value:g}"
            title = QLabel(f"<b>{caption}</b>")
            title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            picture = DecodedImage("")
            picture.setToolTip(caption)
            picture.show_array(self.comparison.columns[column])
            self.columns.addWidget(title, 0, column)
            self.columns.addWidget(picture, 1, column)
        self.columns.setRowStretch(1, 1)

    def ask_export(self) -> None:
        self.ask_save_image("Save the comparison", f"compare-{self.comparison.vary}.png",
                            self.comparison.grid)  # fmt: skip

    def export(self, path: str) -> None:
        self.save_image(path, self.comparison.grid)
