"""The settings of several runs side by side: one column per run, one row per setting, the rows
where they differ highlighted (and listed first), so "what did I change?" has an answer; above
them the runs' quality figures (quality_table.py), so "which is better?" has one too. Both
export as one CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.analysis.quality.history import QualitySummary
from models.runs.json_files import CONFIG_LIMIT, read_json
from studio.runs.quality_table import QUALITY_TIPS, quality_rows, write_csv

SECTIONS = ("kind", "dataset", "hyperparameters", "training", "device", "parent")
MISSING = "–"


def flatten(config: dict[str, Any]) -> dict[str, str]:
    """The settings of a config.json as "section.name" -> text (the dataset by its name)."""
    rows: dict[str, str] = {}
    for section in SECTIONS:
        value = config.get(section)
        if section == "dataset" and isinstance(value, dict):
            value = value.get("name")
        if isinstance(value, dict):
            for name, item in value.items():
                text = json.dumps(item) if isinstance(item, list) else str(item)
                rows[f"{section}.{name}"] = text
        elif value is not None:
            rows[section] = str(value)
    return rows


def compare(configs: list[dict[str, Any]]) -> list[tuple[str, list[str], bool]]:
    """(setting, value per run, differs), differing settings first, each group in order."""
    flat = [flatten(config) for config in configs]
    names: list[str] = []
    for rows in flat:
        names += [name for name in rows if name not in names]
    table = [(name, [rows.get(name, MISSING) for rows in flat]) for name in names]
    marked = [(name, values, len(set(values)) > 1) for name, values in table]
    return [row for row in marked if row[2]] + [row for row in marked if not row[2]]


def read_config(path: str) -> dict[str, Any]:
    try:
        value = read_json(Path(path) / "config.json", CONFIG_LIMIT)  # a FIFO must not hang
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


class CompareDialog(QDialog):
    def __init__(self, parent, paths: list[str], labels: dict[str, str] | None = None,
                 quality: dict[str, QualitySummary] | None = None):  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(f"Compare {len(paths)} runs")
        labels = labels or {}
        self.rows = compare([read_config(path) for path in paths])
        quality = quality or {}
        self.quality_rows = quality_rows([quality.get(p, QualitySummary()) for p in paths])
        self.names = [labels.get(p) or Path(p).name for p in paths]
        self.table = self._table(paths, [name for name, _, _ in self.rows])
        # The quality figures have a table of their own, first: the answer to "which is better?"
        self.quality_table = self._table(paths, [name for name, _ in self.quality_rows])
        self.quality_table.setVisible(bool(self.quality_rows))
        highlight = QBrush(self.palette().highlight().color().lighter(170))
        text = QBrush(self.palette().text().color())
        if self.palette().window().color().lightness() < 128:
            highlight = QBrush(self.palette().highlight().color().darker(160))
        bold = QFont(self.font())
        bold.setBold(True)
        for row, (_name, values, differs) in enumerate(self.rows):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if differs:
                    item.setBackground(highlight)
                    item.setForeground(text)
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        for row, (name, values) in enumerate(self.quality_rows):
            self.quality_table.verticalHeaderItem(row).setToolTip(QUALITY_TIPS.get(name, ""))
            for column, value in enumerate(values):
                self.quality_table.setItem(row, column, QTableWidgetItem(value))
        self.only_differences = QCheckBox("Only the settings that differ")
        self.only_differences.toggled.connect(self._filter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.export_button = QPushButton("Export CSV...")
        self.export_button.setToolTip("The quality figures and the settings, as CSV")
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self._ask_csv)
        settings = QWidget()
        column = QVBoxLayout(settings)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.only_differences)
        column.addWidget(self.table)
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(self.quality_table)
        tables.addWidget(settings)
        layout = QVBoxLayout(self)
        layout.addWidget(tables, 1)
        layout.addWidget(buttons)
        self.resize(min(320 + 200 * len(paths), 1100), 640 if self.quality_rows else 520)

    def _table(self, paths: list[str], rows: list[str]) -> QTableWidget:
        table = QTableWidget(len(rows), len(paths))
        table.setHorizontalHeaderLabels(self.names)
        table.setVerticalHeaderLabels(rows)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for column, path in enumerate(paths):
            table.horizontalHeaderItem(column).setToolTip(path)
        return table

    def _filter(self, only: bool) -> None:
        for row, (_name, _values, differs) in enumerate(self.rows):
            self.table.setRowHidden(row, only and not differs)

    def differing(self) -> list[str]:
        return [name for name, _, differs in self.rows if differs]

    def table_rows(self) -> list[list[str]]:
        """The tables as the CSV holds them: a header of run names, then the quality figures
        and the settings, one per line."""
        body = [[name, *values] for name, values in self.quality_rows]
        body += [[name, *values] for name, values, _ in self.rows]
        return [["setting", *self.names], *body]

    def export_csv(self, path: str | Path) -> None:
        write_csv(Path(path), self.table_rows())

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison", "runs.csv", "CSV (*.csv)")
        if not path:
            return
        try:
            self.export_csv(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export comparison", f"Could not write {path}: {exc}")
