"""One training process per run: an operating-system lock on a file in the run folder.

The lock is held by the process that trains the run (flock on Linux and macOS, msvcrt on
Windows). The operating system releases it when that process ends in any way, a crash or
kill -9 included, so a lock is never left behind. Who holds it (pid, host, since when) is
written beside the lock, so a refusal can name the holder. Readers can ask whether a run is
being trained without taking the lock for longer than a moment.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import time
from pathlib import Path

from models.runs.folder import RunError, now_iso
from models.runs.json_files import STATUS_LIMIT, read_json

LOCK_FILE = "training.lock"
HOLDER_FILE = "training.holder.json"
# A reader that asks whether the run is locked holds the lock for a moment; a trainer that
# arrives in that moment tries again for this long before it gives up.
ACQUIRE_PATIENCE = 1.0

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _open_lock_file(folder: Path) -> int:
    # O_CREAT without the parents: a deleted run folder must not be recreated by a look.
    return os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)


def holder(folder: Path) -> str:
    """Who trains the run, in words, as its holder file says."""
    try:
        found = read_json(Path(folder) / HOLDER_FILE, STATUS_LIMIT)
        return f"process {int(found['pid'])} on {found['host']} (since {found['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class RunLock:
    """The lock of one run folder, held from `acquire` to `release` (or the process's end)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise RunError naming the process that trains the run."""
        try:
            fd = _open_lock_file(self.folder)
        except FileNotFoundError:
            raise RunError(f"no run folder at {self.folder}") from None
        deadline = time.monotonic() + ACQUIRE_PATIENCE
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise RunError(
                    f"{self.folder.name} is being trained by {holder(self.folder)}; "
                    "stop it there first (or wait for it to finish)"
                )
            time.sleep(0.05)
        self._fd = fd
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso()}
        from models.runs.atomic import atomic_write_json

        atomic_write_json(self.folder / HOLDER_FILE, info, durable=False, create_folders=False)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            (self.folder / HOLDER_FILE).unlink()
        with contextlib.suppress(OSError):
            _unlock(self._fd)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def is_locked(folder: Path) -> bool | None:
    """Whether a process trains the run in `folder` now; None when the lock cannot be asked
    (no folder, or a file system without locks)."""
    lock_path = Path(folder) / LOCK_FILE
    if not lock_path.exists():
        return False  # never trained by a version that locks, or never trained at all
    try:
        fd = os.open(lock_path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        if _try_lock(fd):
            _unlock(fd)
            return False
        return True
    except OSError:
        return None
    finally:
        os.close(fd)
