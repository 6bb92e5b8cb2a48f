"""Checks of a command's arguments that need no model, data or run: made before any work, so
a mistyped number or path is one line at once, not a traceback or an error after minutes of
loading data."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

# Seeds are mixed with the epoch number (seed * 1_000_003 + epoch) into torch's 64-bit seed;
# 32 bits leave room for that and are more seeds than anyone types.
MAX_SEED = 2**32 - 1
MAX_SAMPLES = 10_000


def check_range(option: str, value: int | None, low: int, high: int | None = None) -> None:
    if value is None:
        return
    if value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{option} must be {span}, not {value}")


def check_runs_folder(path: Path) -> None:
    """The runs folder, or the nearest folder above it that exists, must be a folder one can
    write in: otherwise the run could not be created once the data had loaded."""
    path = Path(path).expanduser()
    for existing in (path, *path.parents):
        if not existing.exists():
            continue
        if not existing.is_dir():
            raise ValueError(f"the runs folder {path} cannot be used: {existing} is a file, "
                             "not a folder")  # fmt: skip
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ValueError(f"the runs folder {path} cannot be used: {existing} cannot be "
                             "written to")  # fmt: skip
        return


def check_output_file(option: str, path: Path) -> None:
    """A file to write: not a folder, and not inside something that is not a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder; give the name of a file to write")
    for existing in path.parents:
        if existing.exists():
            if not existing.is_dir():
                raise ValueError(f"{option} {path} cannot be written: {existing} is a file")
            return


def check_arguments(args: argparse.Namespace, runs_dir: Path) -> None:
    """Everything about `args` that can be checked before a command starts working."""
    command = args.command
    if getattr(args, "seed", None) is not None:
        check_range("--seed", args.seed, 0, MAX_SEED)
    for seed in getattr(args, "seeds", None) or ():
        check_range("--seeds", seed, 0, MAX_SEED)
    if command == "train":
        check_range("--epochs", args.epochs, 1)
        check_range("--sample-every", args.sample_every, 1)
        check_runs_folder(runs_dir)
    elif command == "sample":
        check_range("-n", args.n, 1, MAX_SAMPLES)
    elif command == "interpolate":
        check_range("--steps", args.steps, 2, 256)
    elif command == "classify":
        check_range("--top-k", args.top_k, 1)
        if args.csv is not None and args.csv != "-":
            check_output_file("--csv", Path(args.csv))


def one_line(exc: BaseException) -> str:
    """An error message as the one line a person is promised: line breaks in a message from
    deeper down become spaces, and a file name that is not UTF-8 is shown with escapes."""
    from models.inference.file_results import display_path

    return display_path(" ".join(str(exc).split()) or type(exc).__name__)
