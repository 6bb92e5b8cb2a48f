"""A tiny reference classifier for the quality tests (17 steps: about 70 % test accuracy,
enough to tell a balanced set from a collapsed one), and helpers to use it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from models.analysis.quality import measure as measure_module
from models.analysis.quality import reference
from tests.models.conftest import train

TINY_REFERENCE = {"batch_size": 256, "width": 4}
REAL_LIMIT = 1000  # real images described per test: enough for the figures, quick


# Named apart from the fixture, so tests can import it and still take `tiny_reference`.
@pytest.fixture(scope="session", name="tiny_reference")
def tiny_reference_fixture(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    run_dir, _ = train("cnn", root, hyperparameters=TINY_REFERENCE)
    return run_dir


@pytest.fixture
def quick_quality(monkeypatch):
    """References trained in a test are tiny, and few real images are described."""
    monkeypatch.setattr(reference, "SETTINGS", dict(TINY_REFERENCE))
    monkeypatch.setattr(reference, "EPOCHS", 1)
    monkeypatch.setattr(measure_module, "REAL_LIMIT", REAL_LIMIT)


def install_reference(runs_dir: Path, source: Path, dataset: str = "mnist-5k") -> Path:
    """Put a finished reference where the studio keeps the dataset's own."""
    target = reference.reference_path(runs_dir, dataset)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)
    return target


def drive(generator):
    """All a generator yields, and what it returns."""
    seen = []
    while True:
        try:
            seen.append(next(generator))
        except StopIteration as finished:
            return seen, finished.value
