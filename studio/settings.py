"""What a person expects to be remembered between sessions, kept with QSettings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from models.runs.paths import default_runs_dir


class StudioSettings:
    def __init__(self, store: QSettings | None = None):
        # Organisation and application names are set by app.py (and by the tests' fixture),
        # so the default constructor finds the same file each time.
        self.store = store if store is not None else QSettings()

    # --- window -------------------------------------------------------------------------
    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)

    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # --- runs folder --------------------------------------------------------------------
    def runs_dir(self) -> Path:
        stored = self.store.value("runs/folder", "")
        return Path(stored) if stored else default_runs_dir()

    def set_runs_dir(self, path: str | Path) -> None:
        self.store.setValue("runs/folder", str(path))

    # --- the Classify page --------------------------------------------------------------
    def classify_folder(self) -> Path:
        """Where the last files were classified from (or exported to)."""
        stored = self.store.value("classify/folder", "")
        return Path(stored) if stored and Path(stored).is_dir() else Path.home()

    def set_classify_folder(self, path: str | Path) -> None:
        self.store.setValue("classify/folder", str(path))

    # --- the training form --------------------------------------------------------------
    def training_choices(self) -> dict[str, Any]:
        """Last dataset, kind, device, seed, epochs and each kind's hyperparameters."""
        text = self.store.value("training/choices", "")
        try:
            value = json.loads(text) if text else {}
        except (TypeError, ValueError):
            value = {}  # a damaged entry costs the remembered form, not the start-up
        return value if isinstance(value, dict) else {}

    def set_training_choices(self, choices: dict[str, Any]) -> None:
        # Stored as JSON: QSettings' INI backend turns ints and bools into strings.
        self.store.setValue("training/choices", json.dumps(choices))

    def sync(self) -> None:
        self.store.sync()
