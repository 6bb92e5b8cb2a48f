"""Writes that never leave a half-written file: write a temporary file, fsync, rename.

Temporary files are named `.NAME.RANDOM.tmp` beside their target, so a writer killed midway
leaves only such a file, which `remove_stale_temporaries` clears the next time the folder is
opened by its one writer. They are created with the permissions the person's umask gives new
files (not owner-only), since the renamed file is an ordinary file of theirs.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

TEMPORARY_SUFFIX = ".tmp"


def _make_folder(path: Path, create_folders: bool) -> None:
    # Run files pass create_folders=False: a run folder deleted while it trains must stay
    # deleted, not come back holding one file.
    if create_folders:
        path.parent.mkdir(parents=True, exist_ok=True)


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new, empty temporary file beside `path`, open for writing. Unlike tempfile.mkstemp
    (always 0600) it is created with mode 0666 less the umask, as any new file is."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue


def fsync_folder(folder: Path) -> None:
    """Make a rename inside `folder` survive a power cut (a no-op where folders cannot be
    opened, as on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(
    path: Path, durable: bool = True, create_folders: bool = True
) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces `path` only when the block finishes without error.

    `durable` also waits for the disk (fsync), so even a power cut keeps the file; grids and
    status files skip that wait, since training writes them often and they can be redone.
    """
    path = Path(path)
    _make_folder(path, create_folders)
    fd, temp = _create_temporary(path)
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


def atomic_write_bytes(
    path: Path, data: bytes, durable: bool = True, create_folders: bool = True
) -> None:
    with atomic_file(path, durable, create_folders) as handle:
        handle.write(data)


def atomic_write_json(
    path: Path, value: Any, durable: bool = True, create_folders: bool = True
) -> None:
    text = json.dumps(value, indent=2, sort_keys=False) + "\n"
    atomic_write_bytes(path, text.encode(), durable, create_folders)


def atomic_save(path: Path, save: Callable[[str], None], create_folders: bool = True) -> None:
    """For libraries that insist on writing to a path themselves (safetensors)."""
    path = Path(path)
    _make_folder(path, create_folders)
    fd, temp = _create_temporary(path)
    umask_mode = os.fstat(fd).st_mode  # what the umask gave: the library may create its own
    os.close(fd)
    try:
        save(temp)
        os.chmod(temp, umask_mode & 0o7777)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files that killed writes left in `folder`. Only for a folder
    whose one writer is the caller (a run held by its training lock): another writer's
    temporary file in flight would be deleted too."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if name.startswith(".") and name.endswith(TEMPORARY_SUFFIX) and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed
