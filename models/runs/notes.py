"""A person's name and note for a run, kept in the run folder as notes.json.

The run folder's own name never changes (other runs name it as their parent, and a folder
synced from a server must keep matching); the label is what the run history shows instead.
Written atomically like every file a person made; a missing or damaged file reads as empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.runs.atomic import atomic_write_json
from models.runs.json_files import CONFIG_LIMIT, read_json

NOTES_FILE = "notes.json"
MAX_LABEL = 200


@dataclass(frozen=True)
class RunNotes:
    label: str = ""
    note: str = ""


@dataclass(frozen=True)
class RunDetails:
    """What the run history shows beside a run's summary: its notes and the run it forked."""

    notes: RunNotes
    parent: str | None


def read_notes(run_dir: Path) -> RunNotes:
    try:
        value = read_json(Path(run_dir) / NOTES_FILE, CONFIG_LIMIT)
    except (OSError, ValueError):  # missing, damaged, or a FIFO that must not block
        return RunNotes()
    if not isinstance(value, dict):
        return RunNotes()
    return RunNotes(str(value.get("label", "") or ""), str(value.get("note", "") or ""))


def write_notes(run_dir: Path, label: str, note: str) -> RunNotes:
    """Keep a label (one line) and a note for the run; empty strings remove them."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no config.json)")
    notes = RunNotes(" ".join(label.split())[:MAX_LABEL], note.strip())
    atomic_write_json(run_dir / NOTES_FILE, {"label": notes.label, "note": notes.note})
    return notes


def read_parent(run_dir: Path) -> str | None:
    """The name of the run this one was forked from (config.json's "parent"), if any."""
    try:
        parent = read_json(Path(run_dir) / "config.json", CONFIG_LIMIT).get("parent")
    except (OSError, ValueError, AttributeError):
        return None
    return str(parent) if parent else None


def read_details(run_dir: Path) -> RunDetails:
    return RunDetails(read_notes(run_dir), read_parent(run_dir))
