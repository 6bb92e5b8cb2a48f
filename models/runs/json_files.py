"""Reading a run's JSON files (config.json, status.json) without trusting them.

A runs folder is shared with other programs and people: a file may be a FIFO, a link to a
device, a gigabyte of anything, or JSON nested deeper than Python's parser can follow (which
raises RecursionError, not ValueError). Every run-file reader comes through here, so each of
those is one line naming the file, never a hang, an unbounded read or a traceback.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from models.runs.regular_files import FileTooLarge, NotARegularFile, read_regular

CONFIG_LIMIT = 2**20  # a run writes a few KiB; a folder dataset of 1,000 classes, 20 KiB
STATUS_LIMIT = 256 * 2**10
MAX_DEPTH = 32  # a run's own files nest four levels at most
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class RunFileError(ValueError):
    """A run file that cannot be used; str() names the file and says what is wrong."""


def nesting_depth(text: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, found without parsing it."""
    brackets = np.frombuffer(_STRING.sub(b"", text).translate(None, _NOT_BRACKETS), np.uint8)
    if brackets.size == 0:
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


def read_json(path: str | os.PathLike, limit: int) -> Any:
    """The parsed file. FileNotFoundError when it is missing; RunFileError for anything else
    that keeps it from being read (not a regular file, too large, too deep, not JSON)."""
    path = Path(path)
    try:
        data = read_regular(path, limit)
    except FileNotFoundError:
        raise
    except (NotARegularFile, FileTooLarge) as exc:
        raise RunFileError(str(exc)) from None
    except OSError as exc:
        raise RunFileError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if nesting_depth(data) > MAX_DEPTH:
        raise RunFileError(f"{path} is nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise RunFileError(f"{path} cannot be read as JSON ({_first_line(exc)})") from None


def read_json_object(path: str | os.PathLike, limit: int) -> dict[str, Any]:
    found = read_json(path, limit)
    if not isinstance(found, dict):
        raise RunFileError(f"{path} holds {json_type(found)}, not a JSON object")
    return found


def json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
