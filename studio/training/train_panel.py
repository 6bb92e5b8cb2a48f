"""What to train and how: dataset, model kind, its hyperparameter form, device, and the buttons."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from models.kinds.hyperparameters import FieldInfo
from models.training.eta import PastSpeed
from studio.training.dataset_chooser import DatasetChooser, dropped_folder
from studio.training.estimate import DurationEstimate
from studio.training.form_fields import INT_LIMIT, field_widget
from studio.training.quality_interval import QualityInterval, measures_quality

DEFAULT_SEED, DEFAULT_SAMPLE_EVERY = 0, 100


class TrainPanel(QWidget):
    train_requested = Signal(dict)  # keyword arguments of models.training.trainer.TrainRequest
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    controls_changed = Signal()  # which buttons may be pressed changed (the actions follow)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = None
        self.fields: dict[str, tuple[FieldInfo, Any, Any]] = {}
        self.remembered: dict[str, Any] = {"hyperparameters": {}}
        self.fork_path: str | None = None
        self.busy = False
        self.state = "idle"
        self._kind_key: str | None = None
        # The form as a person left it, while it shows a fork's or a training run's settings:
        # those are never the next run's defaults (they are put back when the run starts/ends).
        self.saved_form: dict[str, Any] | None = None
        self.setAcceptDrops(True)  # a folder of images dropped here becomes the dataset

        self.dataset = DatasetChooser()
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
        self.sample_every.setValue(DEFAULT_SAMPLE_EVERY)
        self.sample_every.setToolTip("Save a sample grid every this many training steps")
        self.quality_every = QualityInterval()
        self.summary = QLabel("Loading the engine…")
        self.summary.setWordWrap(True)
        self.estimate = DurationEstimate()
        self.estimate.setToolTip("Measured from earlier runs of this kind in the runs folder")
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.setToolTip(
            "Model defaults, epochs, seed, grid and quality intervals (dataset and device stay)"
        )
        self.fork_label = QLabel()
        self.fork_label.setWordWrap(True)
        self.fork_label.hide()
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

        # Their tooltips, with the keys, come from the window's actions (run_actions.py).
        self.train_button = QPushButton("Train")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")

        top = QFormLayout()
        top.addRow("Dataset", self.dataset)
        top.addRow("Model", self.kind)
        top.addRow(self.summary)
        self.settings_form = settings = QFormLayout()
        settings.addRow("Device", self.device)
        settings.addRow("Epochs", self.epochs)
        settings.addRow("Seed", self.seed)
        settings.addRow("Grid every", self.sample_every)
        settings.addRow("Quality", self.quality_every)
        # A bar of its own: the window keeps it in view below the form when the form scrolls,
        # with what a person reads before pressing Train (how long, what is forked).
        self.button_bar = QWidget()
        bar = QVBoxLayout(self.button_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.estimate, self.fork_label, self.fork_cancel):
            bar.addWidget(widget)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        bar.addLayout(buttons)
        # Everything a run is made from; it shows (read-only) the settings of a run in training.
        self.form = QWidget()
        form_layout = QVBoxLayout(self.form)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addLayout(self.basic_form)
        form_layout.addWidget(self.advanced)
        form_layout.addLayout(settings)
        reset_row = QHBoxLayout()
        reset_row.addStretch(1)
        reset_row.addWidget(self.reset_button)
        form_layout.addLayout(reset_row)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.form)
        layout.addWidget(self.button_bar)
        layout.addStretch(1)

        self.kind.currentIndexChanged.connect(self._kind_chosen)
        self.train_button.clicked.connect(self.press_train)
        self.pause_button.clicked.connect(self.press_pause)
        self.stop_button.clicked.connect(self.press_stop)
        self.fork_cancel.clicked.connect(self.cancel_fork)
        self.reset_button.clicked.connect(self.reset_to_defaults)
        for changed in (self.epochs.valueChanged, self.dataset.currentIndexChanged,
                        self.device.currentIndexChanged):  # fmt: skip
            changed.connect(self._update_estimate)
        self._update_buttons()

    # --- filling the form ---------------------------------------------------------------
    def set_catalog(self, catalog, remembered: dict[str, Any] | None = None) -> None:
        """Called once the engine is imported (off the GUI thread) with what it offers."""
        self.catalog = catalog
        self.dataset.set_datasets(catalog.datasets)
        self.kind.blockSignals(True)
        for info in catalog.kinds.values():
            self.kind.addItem(info.title, info.kind)
        self.kind.blockSignals(False)
        for name in catalog.device_choices:
            self.device.addItem(name, name)
            if name != "auto" and name not in catalog.devices_present:
                # Shown but disabled: a person sees the choice exists and that it is absent here.
                self.device.model().item(self.device.count() - 1).setEnabled(False)
        self.apply_choices(remembered or {})
        self._update_buttons()

    def apply_choices(self, remembered: dict[str, Any]) -> None:
        """Fill the form with remembered choices (what choices() returned)."""
        catalog = self.catalog
        self.remembered = {"hyperparameters": {}, **remembered}
        self._kind_key = None  # what the form shows now is not to be kept for any kind
        self.select_dataset(self.remembered.get("dataset", "mnist-5k"))
        self._select(self.device, self.remembered.get("device", "auto"))
        self.seed.setValue(int(self.remembered.get("seed", DEFAULT_SEED)))
        self.sample_every.setValue(int(self.remembered.get("sample_every", DEFAULT_SAMPLE_EVERY)))
        self.quality_every.set_text(self.remembered.get("quality_every"))
        kind = self.remembered.get("kind", catalog.default_kind)
        self.kind.blockSignals(True)
        self._select(self.kind, kind if kind in catalog.kinds else catalog.default_kind)
        self.kind.blockSignals(False)
        self._kind_chosen()

    def reset_to_defaults(self) -> None:
        """The current kind's defaults, as the command line has them; dataset and device stay."""
        if self.catalog is None or self.busy:
            return
        info = self.catalog.kinds[self.kind.currentData()]
        self.set_hyperparameters({field.name: field.default for field in info.fields})
        self.epochs.setValue(info.default_epochs)
        self.seed.setValue(DEFAULT_SEED)
        self.sample_every.setValue(DEFAULT_SAMPLE_EVERY)
        self.quality_every.set_text(None)

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
        # Only kinds that draw image grids as they train have grids to save.
        self.settings_form.setRowVisible(self.sample_every, info.draws_images)
        self.settings_form.setRowVisible(self.quality_every, measures_quality(info))
        self._update_estimate()

    # --- how long it will take ----------------------------------------------------------
    def set_speeds(self, speeds: list[PastSpeed]) -> None:
        """The pace of the runs in the runs folder (read off the GUI thread)."""
        self.estimate.set_speeds(speeds)

    def _update_estimate(self, *_: object) -> None:
        if self.catalog is None or self.kind.currentData() is None:
            return
        info = self.catalog.kinds[self.kind.currentData()]
        dataset, device = str(self.dataset.currentData()), self.device.currentData()
        self.estimate.refresh(info, dataset, device, self.epochs.value(), self.request, self.busy)

    # --- datasets -----------------------------------------------------------------------
    def select_dataset(self, name: str) -> None:
        self.dataset.select(name)

    def add_folder(self, folder: str | Path) -> None:
        self.dataset.add_folder(folder)

    def dragEnterEvent(self, event) -> None:
        if dropped_folder(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        folder = dropped_folder(event)
        if folder is not None:
            self.add_folder(folder)
            event.acceptProposedAction()

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
            "quality_every": self.quality_every.text(),
            "fork_from": Path(self.fork_path) if self.fork_path else None,
        }

    def choices(self) -> dict[str, Any]:
        """What to remember for next time (plain JSON-able data)."""
        if self.catalog is None:
            return self.remembered
        if self.saved_form is not None:
            return self.saved_form
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
        self._keep_form()
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
        self.quality_every.set_text(training.get("quality_every"))
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
        self._restore_form()

    def _keep_form(self) -> None:
        if self.saved_form is None and self.catalog is not None:
            self.saved_form = self.choices()

    def _restore_form(self) -> None:
        if self.busy or self.saved_form is None:
            return  # while a run trains the form shows its settings; put back when it ends
        saved, self.saved_form = self.saved_form, None
        self.apply_choices(saved)

    # --- the run in training ------------------------------------------------------------
    def show_running(self, config: dict[str, Any]) -> None:
        """While a run trains, the form shows its kind and settings (a resumed run may be of
        another kind than the form was on); the person's form comes back when it ends."""
        if self.catalog is None or config.get("kind") not in self.catalog.kinds:
            return
        self._keep_form()
        self._kind_key = None
        self.kind.blockSignals(True)
        self._select(self.kind, config["kind"])
        self.kind.blockSignals(False)
        self._kind_chosen()
        self._kind_key = None  # the run's values are not the kind's remembered ones
        self.set_hyperparameters(config.get("hyperparameters", {}))
        self.select_dataset(str(config.get("dataset", {}).get("name", "")))
        training = config.get("training", {})
        self._select(self.device, training.get("device"))
        for box, key in ((self.epochs, "epochs"), (self.seed, "seed"),
                         (self.sample_every, "sample_every")):  # fmt: skip
            with contextlib.suppress(KeyError, TypeError, ValueError):
                box.setValue(int(training[key]))
        self.quality_every.set_text(training.get("quality_every"))

    # --- buttons ------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        if not busy:
            self.state = "idle"
            if self.fork_path is None:
                self._restore_form()
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
        self.form.setEnabled(not self.busy)  # it shows the training run's settings meanwhile
        self._update_estimate()  # no timing while a run trains: it would share the cores
        live = self.busy and self.state in ("running", "paused")
        self.pause_button.setEnabled(live)
        texts = {"paused": "Resume", "pausing": "Pausing…", "resuming": "Resuming…"}
        self.pause_button.setText(texts.get(self.state, "Pause"))
        self.stop_button.setEnabled(self.busy and self.state != "stopping")
        self.controls_changed.emit()

    def press_train(self) -> None:
        if self.train_button.isEnabled():
            self.train_requested.emit(self.request())
            if self.fork_path:
                self.cancel_fork()  # the fork is made; the next Train starts afresh

    def press_pause(self) -> None:
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

    def press_stop(self) -> None:
        if self.stop_button.isEnabled():
            self.stop_requested.emit()
