"""What the processes other than process 0 of a distributed run train against instead of the
run folder: the same config, and writes that go nowhere, so one folder is written, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class QuietRun:
    """A run folder's reading side (config, status) without its writing side."""

    def __init__(self, config: dict[str, Any], path: Path | None = None):
        self._config = config
        self.path = path or Path("run")

    @property
    def config(self) -> dict[str, Any]:
        return self._config

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def kind(self) -> str:
        return str(self._config["kind"])

    @property
    def weights_path(self) -> Path:
        return self.path / "weights.safetensors"

    def status(self) -> dict[str, Any]:
        return {}

    def update_config(self, **changes: Any) -> None:
        self._config.update(changes)

    def write_status(self, state: str, **fields: Any) -> None:
        pass

    def append_metrics(self, records: list[dict[str, Any]]) -> None:
        pass

    def truncate_metrics_after(self, step: int) -> None:
        pass

    def grid_path(self, step: int, folder: str = "samples") -> Path:
        return self.path / folder / f"step_{step:07d}.png"
