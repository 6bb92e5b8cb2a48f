"""A run is a folder, the single source of truth that the studio and the CLI both read:

    config.json          kind, dataset, hyperparameters, training plan, device, versions
    status.json          running / paused / stopped / completed / failed, step, best metric
    metrics.jsonl        one JSON object per logged step or evaluation (append only)
    weights.safetensors  the model (with JSON metadata), safe to share and open
    state.pt             optimiser, RNG and step for resuming (tensors only)
    samples/step-000500.png, reconstructions/step-000500.png
    training.lock        held by the process training the run (models/runs/lock.py)

Every file but metrics.jsonl is written to a temporary name and renamed into place; the
weights and state.pt are committed together (models/runs/checkpoint.py). A status that says
running or paused while nobody holds the lock is read as "interrupted": its process died.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.runs.atomic import atomic_write_json
from models.runs.json_files import CONFIG_LIMIT, STATUS_LIMIT, RunFileError, read_json
from models.runs.regular_files import OPEN_FLAGS
from models.runs.schema import SchemaError, check_config, check_status

FORMAT_VERSION = 1
STEP_FILE = re.compile(r"step-(\d+)\.png$")


class RunError(RuntimeError):
    """A run folder that cannot be used; the message names the file and what is wrong."""


# Said of a run still in its first epoch (models/runs/open_model.py): waited for, not an
# error, and the pages recognise it by these words.
NO_WEIGHTS_YET = "has no saved weights yet; wait for its first checkpoint"


class RunDeleted(RunError):
    """The run folder was deleted (or moved away) while the run was being written."""

    def __init__(self, path: Path):
        super().__init__(f"the run folder {path} was deleted while training; training stopped")


# A status that says a process is training, and whether that is still so is told by the lock.
LIVE_STATES = ("running", "paused")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Read from package metadata: importing torchvision just for this costs seconds."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in ("image-studio", "torch", "torchvision", "numpy"):
        try:
            found[package.replace("-", "_")] = version(package)
        except PackageNotFoundError:
            found[package.replace("-", "_")] = "unknown"
    return found


def new_run_name(kind: str, dataset: str) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    short = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(dataset.removeprefix("folder:")).name or dataset)
    return f"{stamp}-{kind}-{short.strip('-')[:40]}"


class Run:
    def __init__(self, path: Path):
        self.path = Path(path)

    # --- creating and opening -----------------------------------------------------------
    @classmethod
    def create(cls, runs_dir: Path, config: dict[str, Any]) -> Run:
        runs_dir = Path(runs_dir)
        runs_dir.mkdir(parents=True, exist_ok=True)
        base = new_run_name(config["kind"], config["dataset"]["name"])
        path = runs_dir / base
        suffix = 1
        while True:
            try:
                path.mkdir()
                break
            except FileExistsError:
                suffix += 1
                path = runs_dir / f"{base}-{suffix}"
        run = cls(path)
        config = {"format": FORMAT_VERSION, "name": path.name, "created": now_iso(), **config}
        atomic_write_json(run.config_path, config)
        run.write_status("created", step=0, epoch=0)
        (path / "metrics.jsonl").touch()
        return run

    @classmethod
    def open(cls, path: str | os.PathLike) -> Run:
        run = cls(Path(path).expanduser())
        if not run.path.is_dir():
            raise RunError(f"no run folder at {run.path}")
        run.config  # noqa: B018 - validates config.json now, with a clear message
        return run

    # --- files --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def weights_path(self) -> Path:
        return self.path / "weights.safetensors"

    @property
    def state_path(self) -> Path:
        return self.path / "state.pt"

    @property
    def config(self) -> dict[str, Any]:
        """config.json, checked against what a run's configuration holds (models/runs/schema)."""
        try:
            config = read_json(self.config_path, CONFIG_LIMIT)
        except FileNotFoundError:
            raise RunError(f"{self.path} is not a run folder (no config.json)") from None
        except RunFileError as exc:
            raise RunError(str(exc)) from None
        if not isinstance(config, dict) or "kind" not in config or "dataset" not in config:
            raise RunError(f"{self.config_path} is not an Image Studio run configuration")
        try:
            check_config(config)
        except SchemaError as exc:
            raise RunError(f"{self.config_path}: {exc}") from None
        return config

    @property
    def kind(self) -> str:
        return self.config["kind"]

    def update_config(self, **changes: Any) -> None:
        config = self.config
        config.update(changes)
        self._write_json(self.config_path, config, durable=True)

    def _write_json(self, path: Path, value: Any, durable: bool) -> None:
        """A run file, written atomically without recreating a deleted run folder."""
        try:
            atomic_write_json(path, value, durable=durable, create_folders=False)
        except FileNotFoundError:
            if not self.path.is_dir():
                raise RunDeleted(self.path) from None
            raise

    # --- status -------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """status.json, or an unknown state when it is missing or damaged (it is rewritten)."""
        try:
            return self.read_status()
        except RunError:
            return {"state": "unknown", "step": 0}

    def read_status(self) -> dict[str, Any]:
        """status.json, checked; RunError says what is wrong. Missing: not written yet."""
        path = self.path / "status.json"
        try:
            status = read_json(path, STATUS_LIMIT)
            check_status(status)
        except FileNotFoundError:
            return {"state": "unknown", "step": 0}
        except RunFileError as exc:
            raise RunError(str(exc)) from None
        except SchemaError as exc:
            raise RunError(f"{path}: {exc}") from None
        if status.get("state") in LIVE_STATES:
            from models.runs.lock import is_locked

            if is_locked(self.path) is False:
                # The process that wrote it died (a crash, kill -9, a power cut) mid-run.
                status = {**status, "state": "interrupted"}
        return status

    def write_status(self, state: str, **fields: Any) -> None:
        previous = self.status() if (self.path / "status.json").exists() else {}
        status = {**previous, **fields, "state": state, "updated": now_iso(), "pid": os.getpid()}
        self._write_json(self.path / "status.json", status, durable=False)

    # --- metrics ------------------------------------------------------------------------
    def append_metrics(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records)
        # One write of whole lines, so a reader following the file never sees half a record
        # except at the very end, which read_metrics leaves for the next read.
        try:
            with open(self.metrics_path, "a", encoding="utf-8") as handle:
                handle.write(text)
        except FileNotFoundError:
            if not self.path.is_dir():
                raise RunDeleted(self.path) from None
            raise

    def read_metrics(self, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Records from byte `offset`, and the offset to continue from (follows a growing file)."""
        try:
            data = self._metrics_from(offset)
        except OSError:  # missing, or not a regular file (a FIFO would block the reader)
            return [], offset
        end = data.rfind(b"\n") + 1
        records = []
        for line in data[:end].splitlines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue  # a damaged line costs one point of a curve, not the run
        return records, offset + end

    def _metrics_from(self, offset: int) -> bytes:
        fd = os.open(self.metrics_path, OPEN_FLAGS)
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{self.metrics_path} is not a regular file")
            handle.seek(offset)
            return handle.read()

    def truncate_metrics_after(self, step: int) -> None:
        """On resume, drop what was logged after the checkpoint, which the run will redo."""
        records, _ = self.read_metrics()
        kept = [r for r in records if r.get("step", 0) <= step]
        if len(kept) != len(records):
            from models.runs.atomic import atomic_write_bytes

            text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in kept)
            atomic_write_bytes(self.metrics_path, text.encode(), create_folders=False)

    # --- sample grids -------------------------------------------------------------------
    def grid_path(self, step: int, folder: str = "samples") -> Path:
        return self.path / folder / f"step-{step:06d}.png"

    def grid_steps(self, folder: str = "samples") -> list[tuple[int, Path]]:
        found = []
        directory = self.path / folder
        if directory.is_dir():
            for entry in directory.iterdir():
                match = STEP_FILE.search(entry.name)
                if match and not entry.name.startswith("."):
                    found.append((int(match.group(1)), entry))
        return sorted(found)

    def has_checkpoint(self) -> bool:
        return self.weights_path.exists()

    def delete(self) -> None:
        if not os.path.lexists(self.path / "config.json"):
            raise RunError(f"refusing to delete {self.path}: it is not a run folder")
        shutil.rmtree(self.path)


@dataclass(frozen=True)
class RunSummary:
    """One line of the run history. A damaged run (a file that cannot be read or does not hold
    what it should) has `damage`, the reason in one line, and only its path and name."""

    path: Path
    name: str
    kind: str
    dataset: str
    state: str
    step: int
    total_steps: int
    best_name: str | None
    best_value: float | None
    created: str
    modified: float
    damage: str | None = None


def summarize(run: Run) -> RunSummary:
    """RunError when config.json or status.json is damaged."""
    config = run.config
    status = run.read_status()
    best = status.get("best") or {}
    return RunSummary(
        path=run.path,
        name=run.name,
        kind=config["kind"],
        dataset=config["dataset"]["name"],
        state=status.get("state", "unknown"),
        step=int(status.get("step", 0)),
        total_steps=int(status.get("total_steps", 0)),
        best_name=best.get("name"),
        best_value=best.get("value"),
        created=config.get("created", ""),
        modified=_modified(run),
    )


def _modified(run: Run) -> float:
    times = []
    for path in (run.metrics_path, run.path / "status.json", run.path):
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return max(times, default=0.0)


def damaged_summary(run: Run, reason: str) -> RunSummary:
    # The folder's own path says where; the reason names the file within it.
    reason = reason.replace(f"{run.path}{os.sep}", "")
    return RunSummary(run.path, run.name, "", "", "damaged", 0, 0, None, None, "",
                      _modified(run), reason)  # fmt: skip


def list_runs(runs_dir: Path, *, include_damaged: bool = False) -> list[RunSummary]:
    """Every run in `runs_dir`, newest first. A damaged run folder is left out, or with
    `include_damaged` listed after the others with the reason it is damaged."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    found, damaged = [], []
    for entry in runs_dir.iterdir():
        # lexists: a config.json that is a dangling link or a link loop is still a damaged run.
        if entry.is_dir() and os.path.lexists(entry / "config.json"):
            run = Run(entry)
            try:
                found.append(summarize(run))
            except RunError as exc:
                damaged.append(damaged_summary(run, str(exc)))
    found.sort(key=lambda s: (s.created, s.name), reverse=True)
    return found + sorted(damaged, key=lambda s: s.name) if include_damaged else found
