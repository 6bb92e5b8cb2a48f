"""Reading a file only when it is a regular file of a sane size.

A path can name a FIFO (opening it waits for a writer that never comes), a device such as
/dev/zero (reading never ends) or a symlink loop. The file is opened without blocking and
checked on the open descriptor, so what is read is what was checked, and a FIFO or a device is
refused with a reason that says what it is instead of hanging or filling the memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer (POSIX only;
# Windows has no FIFOs in the file system). O_NOCTTY: a terminal device never becomes ours.
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class NotARegularFile(OSError):
    """The path exists but is a folder, FIFO, device or socket; str() says which."""


class FileTooLarge(OSError):
    """A regular file larger than the reader accepts; str() gives its size and the limit."""

    def __init__(self, message: str, size: int, limit: int):
        super().__init__(message)
        self.size, self.limit = size, limit


def what_it_is(mode: int) -> str:
    """A person's words for a file type that is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def size_text(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:.0f} MiB"
    if size >= 2**10:
        return f"{size / 2**10:.0f} KiB"
    return f"{size} bytes"


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """The whole file, at most `limit` bytes. FileNotFoundError when it is missing (callers
    often treat that as "not yet"), NotARegularFile or FileTooLarge when it is refused, and
    OSError for anything else (permissions, a symlink loop)."""
    fd = os.open(Path(path), OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"{path} {_is_or_links_to(path)}{what_it_is(info.st_mode)}, "
                                  "not a regular file")  # fmt: skip
        if info.st_size > limit:
            raise _too_large(path, info.st_size, limit)
        chunks, total = [], 0
        while total <= limit:  # read one byte past the limit: a file may grow while read
            chunk = os.read(fd, min(limit + 1 - total, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise _too_large(path, total, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _is_or_links_to(path: str | os.PathLike) -> str:
    try:
        return f"links to {os.readlink(path)}, " if os.path.islink(path) else "is "
    except OSError:
        return "is "


def _too_large(path: str | os.PathLike, size: int, limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"{path} is too large ({size_text(size)}; limit {size_text(limit)})", size, limit
    )
