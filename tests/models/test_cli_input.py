"""Odd input to the command line is refused or reported in one line: numbers out of range,
paths that are files where a folder belongs (or the reverse), file names that are not UTF-8,
FIFOs and devices among the files to classify, weights of the wrong shapes."""

from __future__ import annotations

import csv
import os
import shutil

import pytest
from safetensors.torch import load_file, save_file

from studio.cli.main import main
from tests.models.conftest import train
from tests.models.hostile_runs import tiny_folder_dataset
from tests.models.test_images import SPECIAL_REASONS, write_special_files


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """A tiny classifier run, trained in a few steps on 24 digits, and those digits."""
    root = tmp_path_factory.mktemp("cli-input")
    digits = tiny_folder_dataset(root / "digits")
    run, _ = train("cnn", root / "runs", dataset=f"folder:{digits}",
                   hyperparameters={"batch_size": 8})  # fmt: skip
    return run, digits


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("image-studio: error: "), err
    return lines[0]


def test_a_file_name_that_is_not_utf8_gets_its_row_and_the_csv_is_written(
    classifier, tmp_path, capsys
):
    run, digits = classifier
    folder = tmp_path / "scans"
    shutil.copytree(digits / "1", folder)
    odd = os.fsdecode(bytes(folder) + b"/caf\xe9.png")
    shutil.copy(folder / "000.png", odd)
    out_csv = tmp_path / "out.csv"
    code, out, _ = cli(capsys, "classify", run, folder, "--csv", out_csv)
    assert code == 0
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert len(rows) == 13
    shown = [r for r in rows if "caf" in r["path"]]
    assert shown[0]["path"].endswith("caf\\xe9.png") and shown[0]["label"]
    assert "caf\\xe9.png" in out


def test_fifos_device_links_and_link_loops_in_a_folder_each_get_a_row(classifier, tmp_path, capsys):
    run, digits = classifier
    folder = tmp_path / "mixed"
    shutil.copytree(digits / "0", folder)
    special = write_special_files(folder)
    out_csv = tmp_path / "out.csv"
    code, _, err = cli(capsys, "classify", run, folder, "/dev/zero", "--csv", out_csv)
    assert code == 0
    rows = {r["path"]: r for r in csv.DictReader(out_csv.open(encoding="utf-8"))}
    assert len(rows) == 12 + len(special) + 1
    for name, path in special.items():
        assert rows[str(path)]["reason"] == SPECIAL_REASONS[name]
    assert rows["/dev/zero"]["reason"] == "is a character device, not an image file"
    assert f"{len(special) + 1} could not be read" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["train", "--seed", "99999999999999999999"], "--seed must be between 0 and"),
        (["train", "--seed", "-5"], "--seed must be between 0 and"),
        (["train", "--sample-every", "-5"], "--sample-every must be at least 1"),
        (["train", "--sample-every", "0"], "--sample-every must be at least 1"),
        (["sample", "RUN", "--seed", "-5", "-o", "OUT.png"], "--seed must be between 0 and"),
        (["sample", "RUN", "-n", "0", "-o", "OUT.png"], "-n must be between 1 and"),
        (["interpolate", "RUN", "--seeds", "1", "-2", "-o", "OUT.png"],
         "--seeds must be between 0 and"),
        (["classify", "RUN", "DIGITS", "--top-k", "0"], "--top-k must be at least 1"),
    ],
)  # fmt: skip
def test_numbers_out_of_range_are_refused_in_one_line_before_any_work(
    classifier, tmp_path, capsys, args, expected
):
    run, digits = classifier
    names = {"RUN": run, "DIGITS": digits, "OUT.png": tmp_path / "out.png"}
    args = [names.get(a, a) for a in args]
    code, out, err = cli(capsys, "--runs-dir", tmp_path / "runs", *args)
    assert code == 1
    assert expected in error_line(err)
    assert not out and not (tmp_path / "runs").exists() and not (tmp_path / "out.png").exists()


def test_a_runs_folder_that_is_a_file_is_refused_before_the_data_loads(tmp_path, capsys):
    not_a_folder = tmp_path / "passwd"
    not_a_folder.write_text("root:x:0:0")
    missing_data = f"folder:{tmp_path / 'no-such-folder'}"
    code, _, err = cli(capsys, "--runs-dir", not_a_folder, "train", "--dataset", missing_data)
    assert code == 1
    line = error_line(err)
    assert f"{not_a_folder} is a file, not a folder" in line
    inside = not_a_folder / "runs"
    code, _, err = cli(capsys, "--runs-dir", inside, "train", "--dataset", missing_data)
    assert code == 1 and f"{not_a_folder} is a file, not a folder" in error_line(err)


def test_a_csv_path_that_is_a_folder_is_refused_before_classifying(classifier, tmp_path, capsys):
    run, digits = classifier
    code, out, err = cli(capsys, "classify", run, digits, "--csv", tmp_path)
    assert code == 1
    line = error_line(err)
    assert f"--csv {tmp_path} is a folder" in line and ".tmp" not in line
    assert not out
    assert list(tmp_path.iterdir()) == []


def test_weights_of_the_wrong_shapes_are_refused_in_one_line(classifier, tmp_path, capsys):
    run, digits = classifier
    copy = shutil.copytree(run, tmp_path / "copy")
    weights = load_file(copy / "weights.safetensors")
    from safetensors import safe_open

    with safe_open(str(copy / "weights.safetensors"), framework="pt") as handle:
        metadata = handle.metadata()
    changed = [n for n, t in weights.items() if t.ndim == 4 and t.shape[1] > 1][:2]
    for name in changed:
        weights[name] = weights[name][:, :1].clone()  # fewer input channels than the model has
    save_file(weights, copy / "weights.safetensors", metadata=metadata)
    code, _, err = cli(capsys, "classify", copy, digits)
    assert code == 1
    line = error_line(err)
    assert "does not match" in line and changed[0] in line and "1 more" in line


def test_writing_a_csv_over_a_folder_says_so(tmp_path):
    from models.inference.file_results import write_csv

    with pytest.raises(IsADirectoryError) as info:
        write_csv([], tmp_path)
    assert str(info.value) == f"{tmp_path} is a folder; choose a file name for the CSV"
    assert list(tmp_path.iterdir()) == []
