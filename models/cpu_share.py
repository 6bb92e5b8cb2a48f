"""Training runs on one machine share its CPU cores instead of fighting over them.

PyTorch's CPU worker threads wait for each other by spinning. Two processes that each start
a thread per core therefore keep taking each other's cores mid-wait, and both crawl: two
default CNN runs on 2 cores took 1.45 s a step each instead of 33 ms. A run that knows how
many others are training gives itself its share of the cores (76 ms a step each, one thread
apiece) and takes them all back when it is alone again.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

CHECK_INTERVAL = 10.0  # seconds between looks at the other runs


def process_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return False  # os.kill(pid, 0) would send Ctrl-C there; sharing is POSIX-only for now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def other_training_processes(runs_dir: Path, own_pid: int) -> set[int]:
    """Processes, other than ours, training a run in `runs_dir` right now."""
    found: set[int] = set()
    try:
        entries = list(os.scandir(runs_dir))
    except OSError:
        return found
    for entry in entries:
        try:
            status = json.loads(Path(entry.path, "status.json").read_text())
        except (OSError, ValueError):
            continue
        pid = status.get("pid")
        training = status.get("state") == "running" and isinstance(pid, int)
        if training and pid != own_pid and process_alive(pid):
            found.add(pid)
    return found


def fair_threads(cores: int, others: int) -> int:
    return max(1, cores // (others + 1))


class CoreShare:
    """Decides this process's torch thread count from the runs training beside it."""

    def __init__(self, runs_dir: Path, cores: int, interval: float = CHECK_INTERVAL):
        self.runs_dir, self.cores, self.interval = runs_dir, max(cores, 1), interval
        self.last_check = -float("inf")
        self.others = 0

    def due(self) -> bool:
        return time.monotonic() - self.last_check >= self.interval

    def threads(self) -> int:
        """Look at the other runs now; the thread count this run should use."""
        self.last_check = time.monotonic()
        self.others = len(other_training_processes(self.runs_dir, os.getpid()))
        return fair_threads(self.cores, self.others)
