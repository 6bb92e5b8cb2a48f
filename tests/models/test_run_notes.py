"""A run's label and note: kept in its folder, written atomically, read back as written."""

from __future__ import annotations

import json

import pytest

from models.runs.notes import NOTES_FILE, read_details, read_notes, write_notes


def test_a_run_keeps_its_label_and_note(tmp_path):
    run = tmp_path / "20260101-000000-vae-mnist-5k"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "vae", "parent": "older-run"}))
    assert read_notes(run).label == "" and read_notes(run).note == ""
    write_notes(run, "  first   try\n", "beta 4 blurs the digits\nbut the map is tidier\n")
    notes = read_notes(run)
    assert notes.label == "first try"  # one line, as shown in the runs table
    assert notes.note == "beta 4 blurs the digits\nbut the map is tidier"
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]  # renamed into place
    details = read_details(run)
    assert details.parent == "older-run" and details.notes == notes
    (run / NOTES_FILE).write_text("{damaged")
    assert read_notes(run).label == ""  # a damaged file costs the note, nothing else


def test_notes_are_refused_for_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_notes(tmp_path, "name", "")
    assert not (tmp_path / NOTES_FILE).exists()
    assert read_details(tmp_path).parent is None
