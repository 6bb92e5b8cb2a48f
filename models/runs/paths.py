"""Where Image Studio keeps things on disk; each place can be overridden by an env variable."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "image-studio"


def resources_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "resources"


def data_dir() -> Path:
    return Path(os.environ.get("IMAGE_STUDIO_DATA") or platformdirs.user_data_dir(APP_NAME))


def default_runs_dir() -> Path:
    return Path(os.environ.get("IMAGE_STUDIO_RUNS") or data_dir() / "runs")


def cache_dir() -> Path:
    return Path(os.environ.get("IMAGE_STUDIO_CACHE") or platformdirs.user_cache_dir(APP_NAME))
