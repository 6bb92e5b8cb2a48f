"""What to train and how: dataset, model kind, its hyperparameter form, device, and the buttons."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from models.hyperparameters import FieldInfo

FOLDER_ITEM = "__folder__"
INT_LIMIT = 2**31 - 1


MAX_DECIMALS = 8


def decimals_for(value: float) -> int:
    """Decimal places that show `value` unrounded (at most MAX_DECIMALS)."""
    for places in range(MAX_DECIMALS):
        if abs(round(value, places) - value) <= 1e-12 * max(1.0, abs(value)):
            return places
    return MAX_DECIMALS


def put_float(box: QDoubleSpinBox, value: float) -> None:
    # A saved or forked run may hold a finer value than the default (weight decay 2.5e-4).
    box.setDecimals(max(box.decimals(), decimals_for(value)))
    box.setValue(value)


def field_widget(info: FieldInfo) -> tuple[QWidget, Any, Any]:
    """A widget for one hyperparameter with its getter and setter; range and help come from
    the config dataclass, so a new hyperparameter needs no studio code."""
    tip = info.help
    if info.low is not None or info.high is not None:
        tip += f" (from {info.low if info.low is not None else '–'} to {info.high or '–'})"
    if info.choices is not None:
        w = QComboBox()
        for choice in info.choices:
            w.addItem(str(choice), choice)
        get, put = w.currentData, lambda v, w=w: w.setCurrentIndex(max(w.findData(v), 0))
    elif info.type is bool:
        w = QCheckBox()
        get, put = w.isChecked, lambda v, w=w: w.setChecked(bool(v))
    elif info.type is int:
        w = QSpinBox()
        low = -INT_LIMIT if info.low is None else int(info.low)
        w.setRange(low, INT_LIMIT if info.high is None else int(info.high))
        get, put = w.value, lambda v, w=w: w.setValue(int(v))
    elif info.type is float:
        w = QDoubleSpinBox()
        low = -1e9 if info.low is None else info.low
        w.setRange(low, 1e9 if info.high is None else info.high)
        # Enough decimals to show the smallest allowed value of a log-scale setting (1e-5),
        # and always the default itself: a spin box rounds what it holds to what it shows.
        decimals = 2 - math.floor(math.log10(info.low)) if info.log_scale and low > 0 else 3
        w.setDecimals(min(max(decimals, 3, decimals_for(info.default)), MAX_DECIMALS))
        w.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        get, put = w.value, lambda v, w=w: put_float(w, float(v))
    else:
        w = QLineEdit()
        get, put = w.text, lambda v, w=w: w.setText(str(v))
    w.setToolTip(tip)
    put(info.default)
    return w, get, put


class TrainPanel(QWidget):
    train_requested = Signal(dict)  # keyword arguments of models.training.TrainRequest
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = None
        self.fields: dict[str, tuple[FieldInfo, Any, Any]] = {}
        self.remembered: dict[str, Any] = {"hyperparameters": {}}
        self.fork_path: str | None = None
        self.busy = False
        self.state = "idle"
        self._last_dataset_index = 0
        self._kind_key: str | None = None
        self.setAcceptDrops(True)  # a folder of images dropped here becomes the dataset

        self.dataset = QComboBox()
        self.kind = QComboBox()
        self.device = QComboBox()
        self.seed = QSpinBox()
        self.seed.setRange(0, INT_LIMIT)
        self.seed.setToolTip("Same seed, same settings: the same run")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10_000)
        self.epochs.setValue(10)
        self.sample_every = QSpinBox()
        self.sample_every.setRange(1, 1_000_000)
        self.sample_every.setValue(100)
        self.sample_every.setToolTip("Save a sample grid every this many training steps")
        self.summary = QLabel("Loading the engine…")
        self.summary.setWordWrap(True)
        self.fork_label = QLabel()
        self.fork_label.setWordWrap(True)
        self.fork_cancel = QPushButton("Don't fork")
        self.fork_cancel.hide()
        self.basic_form = QFormLayout()
        self.advanced = QCollapsible("Advanced")
        # superqt points a folded section up; a right-pointing arrow is what desktop apps use.
        self.advanced.setCollapsedIcon("▶")
        self.advanced_form = QFormLayout()
        holder = QWidget()
        holder.setLayout(self.advanced_form)
        self.advanced.addWidget(holder)

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Start training (Ctrl+Return)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause or resume between steps (Space)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current step; a checkpoint is written (Esc)")

        top = QFormLayout()
        top.addRow("Dataset", self.dataset)
        top.addRow("Model", self.kind)
        top.addRow(self.summary)
        settings = QFormLayout()
        settings.addRow("Device", self.device)
        settings.addRow("Epochs", self.epochs)
        settings.addRow("Seed", self.seed)
        settings.addRow("Grid every", self.sample_every)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.basic_form)
        layout.addWidget(self.advanced)
        layout.addLayout(settings)
        layout.addWidget(self.fork_label)
        layout.addWidget(self.fork_cancel)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self.dataset.currentIndexChanged.connect(self._dataset_chosen)
        self.kind.currentIndexChanged.connect(self._kind_chosen)
        self.train_button.clicked.connect(self._train_clicked)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.stop_button.clicked.connect(self._stop_clicked)
        self.fork_cancel.clicked.connect(self.cancel_fork)
        shortcuts = (("Ctrl+Return", self._train_clicked), ("Space", self._pause_clicked),
                     ("Esc", self._stop_clicked), ("Ctrl+.", self._stop_clicked))  # fmt: skip
        for keys, slot in shortcuts:
            QShortcut(QKeySequence(keys), self, slot)
        self._update_buttons()

    # --- filling the form ---------------------------------------------------------------
    def set_catalog(self, catalog, remembered: dict[str, Any] | None = None) -> None:
        """Called once the engine is imported (off the GUI thread) with what it offers."""
        self.catalog = catalog
        self.remembered = {"hyperparameters": {}, **(remembered or {})}
        self.dataset.blockSignals(True)
        for info in catalog.datasets:
            self.dataset.addItem(info.title, info.name)
            self.dataset.setItemData(self.dataset.count() - 1, info.description, Qt.ToolTipRole)
        self.dataset.addItem("Folder of images...", FOLDER_ITEM)
        self.dataset.blockSignals(False)
        self.select_dataset(self.remembered.get("dataset", "mnist-5k"))
        self.kind.blockSignals(True)
        for info in catalog.kinds.values():
            self.kind.addItem(info.title, info.kind)
        self.kind.blockSignals(False)
        for name in catalog.device_choices:
            self.device.addItem(name, name)
            if name != "auto" and name not in catalog.devices_present:
                # Shown but disabled: a person sees the choice exists and that it is absent here.
                self.device.model().item(self.device.count() - 1).setEnabled(False)
        self._select(self.device, self.remembered.get("device", "auto"))
        self.seed.setValue(int(self.remembered.get("seed", 0)))
        self.epochs.setValue(int(self.remembered.get("epochs", 10)))
        self.sample_every.setValue(int(self.remembered.get("sample_every", 100)))
        kind = self.remembered.get("kind", catalog.default_kind)
        self._select(self.kind, kind if kind in catalog.kinds else catalog.default_kind)
        self._kind_chosen()
        self._update_buttons()

    def _select(self, combo: QComboBox, data: Any) -> None:
        index = combo.findData(data)
        if index >= 0:
            combo.setCurrentIndex(index)

    def _kind_chosen(self, *_: object) -> None:
        if self.catalog is None:
            return
        epochs_by_kind = self.remembered.setdefault("epochs_by_kind", {})
        if self._kind_key is not None:  # keep what was typed for the kind being left
            self.remembered["hyperparameters"][self._kind_key] = self.hyperparameters()
            epochs_by_kind[self._kind_key] = self.epochs.value()
        for form in (self.basic_form, self.advanced_form):
            while form.rowCount():
                form.removeRow(0)
        info = self.catalog.kinds[self.kind.currentData()]
        self._kind_key = info.kind
        # A GAN wants hundreds of epochs, a classifier a handful: each kind has its own.
        self.epochs.setValue(int(epochs_by_kind.get(info.kind, info.default_epochs)))
        self.summary.setText(info.summary)
        self.fields = {}
        saved = self.remembered["hyperparameters"].get(info.kind, {})
        for field in info.fields:
            widget, get, put = field_widget(field)
            if field.name in saved:
                # A remembered value of another type (the kind changed) keeps the default.
                with contextlib.suppress(TypeError, ValueError):
                    put(saved[field.name])
            label = field.name.replace("_", " ").capitalize()
            (self.advanced_form if field.advanced else self.basic_form).addRow(label, widget)
            self.fields[field.name] = (field, get, put)
        self.advanced.setVisible(self.advanced_form.rowCount() > 0)

    # --- datasets -----------------------------------------------------------------------
    def select_dataset(self, name: str) -> None:
        if name.startswith("folder:"):
            self.add_folder(name.removeprefix("folder:"))
        else:
            self._select(self.dataset, name)
        self._last_dataset_index = self.dataset.currentIndex()

    def add_folder(self, folder: str | Path) -> None:
        name = f"folder:{folder}"
        index = self.dataset.findData(name)
        if index < 0:
            index = max(self.dataset.findData(FOLDER_ITEM), 0)
            self.dataset.insertItem(index, f"Folder: {Path(folder).name}", name)
            self.dataset.setItemData(index, str(folder), Qt.ToolTipRole)
        self.dataset.setCurrentIndex(index)

    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemData(index) != FOLDER_ITEM:
            self._last_dataset_index = index
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder of images (sub-folders = classes)")
        if folder:
            self.add_folder(folder)
        else:
            self.dataset.setCurrentIndex(self._last_dataset_index)

    def dragEnterEvent(self, event) -> None:
        if self._dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        folder = self._dropped_folder(event)
        if folder is not None:
            self.add_folder(folder)
            event.acceptProposedAction()

    @staticmethod
    def _dropped_folder(event) -> str | None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
                return url.toLocalFile()
        return None

    # --- what was chosen ----------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        return {name: get() for name, (_info, get, _put) in self.fields.items()}

    def set_hyperparameters(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in self.fields:
                self.fields[name][2](value)

    def request(self) -> dict[str, Any]:
        return {
            "kind": self.kind.currentData(),
            "dataset": self.dataset.currentData(),
            "hyperparameters": self.hyperparameters(),
            "epochs": self.epochs.value(),
            "seed": self.seed.value(),
            "device": self.device.currentData(),
            "sample_every": self.sample_every.value(),
            "fork_from": Path(self.fork_path) if self.fork_path else None,
        }

    def choices(self) -> dict[str, Any]:
        """What to remember for next time (plain JSON-able data)."""
        if self.catalog is None:
            return self.remembered
        self.remembered["hyperparameters"][self._kind_key] = self.hyperparameters()
        self.remembered.setdefault("epochs_by_kind", {})[self._kind_key] = self.epochs.value()
        request = self.request()
        del request["fork_from"], request["hyperparameters"]
        return {
            **request,
            "hyperparameters": self.remembered["hyperparameters"],
            "epochs_by_kind": self.remembered["epochs_by_kind"],
        }

    # --- forking ------------------------------------------------------------------------
    def prepare_fork(self, path: str | Path, config: dict[str, Any]) -> None:
        """Fill the form from a run; Train then starts a new run from its weights."""
        self._select(self.kind, config["kind"])
        saved = config.get("hyperparameters", {})
        if self.catalog is not None and config["kind"] in self.catalog.kinds:
            # As the engine reads the run: a setting added since it was saved is filled with
            # what the run trained with, not with today's default.
            saved = {**dict(self.catalog.kinds[config["kind"]].settings_before_fields), **saved}
        self.set_hyperparameters(saved)
        self.select_dataset(config["dataset"]["name"])
        training = config.get("training", {})
        self.seed.setValue(int(training.get("seed", self.seed.value())))
        self.sample_every.setValue(int(training.get("sample_every", self.sample_every.value())))
        self.fork_path = str(path)
        # The weights only fit a model of the same kind, so the kind is fixed while forking.
        self.kind.setEnabled(False)
        self.fork_label.setText(f"Forking <b>{Path(path).name}</b>: change settings, press Train.")
        self.fork_label.show()
        self.fork_cancel.show()

    def cancel_fork(self) -> None:
        self.fork_path = None
        self.kind.setEnabled(not self.busy)
        self.fork_label.hide()
        self.fork_cancel.hide()

    # --- buttons ------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        if not busy:
            self.state = "idle"
        self._update_buttons()

    def set_state(self, state: str, message: str = "") -> None:
        self.state = state
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.catalog is not None
        self.train_button.setEnabled(ready and not self.busy)
        for widget in (self.dataset, self.device):
            widget.setEnabled(ready and not self.busy)
        self.kind.setEnabled(ready and not self.busy and self.fork_path is None)
        live = self.busy and self.state in ("running", "paused")
        self.pause_button.setEnabled(live)
        texts = {"paused": "Resume", "pausing": "Pausing…", "resuming": "Resuming…"}
        self.pause_button.setText(texts.get(self.state, "Pause"))
        self.stop_button.setEnabled(self.busy and self.state != "stopping")

    def _train_clicked(self) -> None:
        if self.train_button.isEnabled():
            self.train_requested.emit(self.request())
            if self.fork_path:
                self.cancel_fork()  # the fork is made; the next Train starts afresh

    def _pause_clicked(self) -> None:
        if not self.pause_button.isEnabled():
            return
        if self.state == "paused":
            self.resume_requested.emit()
            self.state = "resuming"
        else:
            self.pause_requested.emit()
            self.state = "pausing"
        # Disabled until the trainer confirms: it pauses between steps, not at once.
        self._update_buttons()

    def _stop_clicked(self) -> None:
        if self.stop_button.isEnabled():
            self.stop_requested.emit()
