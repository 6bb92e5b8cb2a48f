"""Atomic writes: the permissions of what they leave, and what a killed writer leaves."""

import os
import stat

import pytest
from safetensors.torch import save_file

from models.runs.atomic import atomic_save, atomic_write_json, remove_stale_temporaries


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Sets the process's umask for the test; the one it had comes back afterwards."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def test_run_files_respect_the_umask(tmp_path, umask):
    import torch

    umask(0o022)
    atomic_write_json(tmp_path / "status.json", {"state": "running"})
    atomic_save(tmp_path / "weights.safetensors",
                lambda p: save_file({"w": torch.zeros(2)}, p))  # fmt: skip
    assert mode(tmp_path / "status.json") == 0o644  # not 0600, as tempfile.mkstemp made it
    assert mode(tmp_path / "weights.safetensors") == 0o644
    umask(0o077)
    atomic_write_json(tmp_path / "private.json", {})
    assert mode(tmp_path / "private.json") == 0o600
    umask(0o002)
    atomic_write_json(tmp_path / "shared.json", {})
    assert mode(tmp_path / "shared.json") == 0o664


def test_only_temporary_files_of_atomic_writes_are_cleared(tmp_path):
    stale = tmp_path / ".status.json.0a1b2c3d.tmp"
    stale.write_text("{")
    kept = [tmp_path / "status.json", tmp_path / "notes.tmp", tmp_path / ".hidden"]
    for path in kept:
        path.write_text("x")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert not stale.exists() and all(path.exists() for path in kept)
