"""Run files are read only when they are regular files of a sane size and hold what a run's
files hold; anything else is a one-line reason, never a hang, an unbounded read or a crash."""

from __future__ import annotations

import json
import os

import pytest

from models.runs import json_files as run_files
from models.runs.folder import Run, RunError, list_runs
from models.runs.json_files import RunFileError, nesting_depth, read_json
from tests.models.hostile_runs import Watchdog

CONFIG = {
    "kind": "cnn",
    "created": "2026-01-01T00:00:00+00:00",
    "dataset": {"name": "mnist-5k", "image_shape": [1, 28, 28], "class_names": ["0", "1"]},
    "hyperparameters": {"width": 8, "learning_rate": 0.1, "schedule": "one-cycle"},
    "training": {"epochs": 1, "seed": 0, "sample_every": 100, "device": "auto"},
}


def make_run(runs_dir, name, config=CONFIG, status=None):
    folder = runs_dir / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "status.json").write_text(json.dumps(status or {"state": "completed", "step": 3}))
    return folder


def test_nesting_depth_ignores_brackets_inside_strings():
    assert nesting_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert nesting_depth(b'"\\"[[["') == 0
    assert nesting_depth(b"[" * 40 + b"]" * 40) == 40


def test_a_file_over_the_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG))
    with pytest.raises(RunFileError, match=r"is too large \(\d+ bytes; limit 10 bytes\)"):
        read_json(path, 10)
    monkeypatch.setattr(run_files, "MAX_DEPTH", 1)
    with pytest.raises(RunFileError, match="nested more than 1 levels deep"):
        read_json(path, 2**20)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ({"state": "completed", "step": "three"}, "step must be a whole number"),
        ({"state": "completed", "best": {"name": "loss", "value": "low"}}, "best.value"),
        ([1, 2], "status must be an object"),
    ],
)
def test_a_status_of_the_wrong_types_marks_the_run_damaged(tmp_path, status, reason):
    make_run(tmp_path, "good")
    make_run(tmp_path, "bad", status=status)
    listed = {s.name: s for s in list_runs(tmp_path, include_damaged=True)}
    assert listed["good"].damage is None and listed["good"].state == "completed"
    assert listed["bad"].state == "damaged" and reason in listed["bad"].damage
    assert [s.name for s in list_runs(tmp_path)] == ["good"]
    assert Run(tmp_path / "bad").status() == {"state": "unknown", "step": 0}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kind": 3}, "kind must be a string"),
        ({"hyperparameters": {"width": [8]}}, "hyperparameters.width must be a number"),
        ({"training": {"epochs": 0}}, "training.epochs must be at least 1"),
        ({"dataset": {**CONFIG["dataset"], "image_shape": [4, 28, 28]}}, "4 channels"),
        ({"dataset": {**CONFIG["dataset"], "image_shape": [1, 28]}}, "[channels, height, width]"),
    ],
)
def test_a_config_of_the_wrong_types_is_refused_naming_the_field(tmp_path, change, reason):
    folder = make_run(tmp_path, "bad", config={**CONFIG, **change})
    with pytest.raises(RunError) as info:
        Run.open(folder)
    assert str(info.value).startswith(f"{folder / 'config.json'}: ") and reason in str(info.value)


def test_metrics_that_are_a_fifo_read_as_none_yet(tmp_path):
    folder = make_run(tmp_path, "run")
    os.mkfifo(folder / "metrics.jsonl")
    with Watchdog(tmp_path).watching() as dog:
        assert Run(folder).read_metrics() == ([], 0)
    assert not dog.fired


def test_a_config_link_loop_is_listed_as_damaged(tmp_path):
    folder = tmp_path / "loop"
    folder.mkdir()
    (folder / "config.json").symlink_to(folder / "config.json")
    (damaged,) = list_runs(tmp_path, include_damaged=True)
    assert damaged.damage == "config.json cannot be read (Too many levels of symbolic links)"
