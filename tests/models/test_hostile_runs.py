"""Every command run against a runs folder holding hostile run folders beside a good one:
no hang, no traceback; the bad folders are listed as damaged and refused in one line."""

from __future__ import annotations

import os

import pytest

from studio.cli.main import main
from tests.models.conftest import train
from tests.models.hostile_runs import (
    BAD_CONFIG_VALUES,
    Watchdog,
    make_hostile_runs,
    tiny_folder_dataset,
)

# Folders whose config.json cannot be used: nothing can be done with them but list them.
BAD_CONFIGS = ["fifo-config", "zero-config", "deep-config", "string-dataset",
               "number-class-names", "huge-image-shape"]  # fmt: skip
TINY_CNN = ["--kind", "cnn", "--epochs", "1", "--set", "batch_size=8", "--set", "width=8"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    dataset = tiny_folder_dataset(root / "digits")
    good, _ = train("cnn", root / "source", dataset=f"folder:{dataset}",
                    hyperparameters={"batch_size": 8})  # fmt: skip
    folders = make_hostile_runs(root / "runs", good)
    return root / "runs", dataset, folders


def run_cli(capsys, runs_dir, *args) -> tuple[int, str, str]:
    """The command as a person types it; fails (rather than hangs) if it does not return."""
    with Watchdog(runs_dir).watching() as dog:
        code = main(["--runs-dir", str(runs_dir), *map(str, args)])
    out, err = capsys.readouterr()
    assert not dog.fired, f"{args[0]} hung on a hostile run folder"
    assert "Traceback" not in err
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("image-studio: error: "), err
    return lines[0]


def test_train_finishes_beside_hostile_runs(hostile, capsys):
    runs_dir, dataset, _ = hostile
    code, _, err = run_cli(capsys, runs_dir, "train", "--dataset", f"folder:{dataset}", *TINY_CNN)
    assert code == 0, err
    assert "run completed" in err


def test_runs_lists_the_good_run_and_marks_each_bad_one_damaged(hostile, capsys):
    runs_dir, _, _ = hostile
    code, out, _ = run_cli(capsys, runs_dir, "runs")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "completed" in rows["good"] and "cnn" in rows["good"]
    for name in [*BAD_CONFIGS, "fifo-status"]:
        assert "damaged" in rows[name], out
    assert "FIFO" in rows["fifo-config"] and "FIFO" in rows["fifo-status"]
    assert "character device" in rows["zero-config"]
    assert "nested" in rows["deep-config"]
    assert "dataset" in rows["string-dataset"]
    assert "class_names" in rows["number-class-names"]
    assert "image_shape" in rows["huge-image-shape"]


@pytest.mark.parametrize("name", BAD_CONFIGS)
@pytest.mark.parametrize(
    "command", ["classify", "sample", "interpolate", "resume", "reconstruct", "denoise"]
)
def test_commands_refuse_a_damaged_run_in_one_line(hostile, capsys, tmp_path, name, command):
    runs_dir, dataset, folders = hostile
    extra = {"classify": [dataset], "sample": ["-o", tmp_path / "s.png"],
             "interpolate": ["-o", tmp_path / "i.png"], "resume": [],
             "reconstruct": [dataset, "-o", tmp_path / "r.npz"],
             "denoise": ["-o", tmp_path / "d.gif"]}[command]  # fmt: skip
    code, _, err = run_cli(capsys, runs_dir, command, name, *extra)
    assert code != 0
    line = one_line_error(err)
    assert str(folders[name]) in line or name in line


@pytest.mark.parametrize("name", list(BAD_CONFIG_VALUES))
def test_a_setting_of_the_wrong_type_is_refused_when_the_model_is_built(hostile, capsys, name):
    runs_dir, dataset, _ = hostile
    code, _, err = run_cli(capsys, runs_dir, "classify", name, dataset)
    assert code != 0
    _, key, _ = BAD_CONFIG_VALUES[name]
    assert key in one_line_error(err)


def test_the_good_run_and_one_with_an_unreadable_status_still_classify(hostile, capsys):
    runs_dir, dataset, _ = hostile
    for name in ("good", "fifo-status"):
        code, out, err = run_cli(capsys, runs_dir, "classify", name, dataset)
        assert code == 0, err
        assert len(out.splitlines()) == 24


def test_past_speeds_and_a_lock_holder_are_read_without_hanging(hostile, tmp_path):
    from models.runs.lock import HOLDER_FILE, holder
    from models.training.eta import past_speeds

    runs_dir, _, _ = hostile
    os.mkfifo(tmp_path / HOLDER_FILE)
    with Watchdog(runs_dir).watching() as dog, Watchdog(tmp_path).watching() as holder_dog:
        names = {speed.run_name for speed in past_speeds(runs_dir)}
        assert holder(tmp_path) == "another process"
    assert not dog.fired and not holder_dog.fired
    assert "good" in names and not names & {"fifo-config", "zero-config", "deep-config"}
