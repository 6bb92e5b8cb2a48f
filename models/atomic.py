"""Writes that never leave a half-written file: write a temporary file, fsync, rename."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO


@contextlib.contextmanager
def atomic_file(path: Path, durable: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces `path` only when the block finishes without error.

    `durable` also waits for the disk (fsync), so even a power cut keeps the file; grids and
    status files skip that wait, since training writes them often and they can be redone.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    with atomic_file(path, durable) as handle:
        handle.write(data)


def atomic_write_json(path: Path, value: Any, durable: bool = True) -> None:
    text = json.dumps(value, indent=2, sort_keys=False) + "\n"
    atomic_write_bytes(path, text.encode(), durable)


def atomic_save(path: Path, save: Callable[[str], None]) -> None:
    """For libraries that insist on writing to a path themselves (safetensors)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save(temp)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
