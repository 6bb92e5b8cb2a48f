"""Training runs on one machine share its CPU cores instead of fighting over them.

PyTorch's CPU worker threads wait for each other by spinning. Two processes that each start
a thread per core therefore keep taking each other's cores mid-wait, and both crawl: two
default 2-epoch CNN runs started together on 2 cores took 167 s of training each, against
9-10 s each when they share (one thread apiece) and 5.7 s for one alone. A run that knows how
many others are training gives itself its share of the cores and takes them all back when
it is alone again; it looks often, since a run that has not looked yet still spins.

Only runs in the same runs folder are seen. A run counts while its status says "running",
was written in the last FRESH_FOR seconds (running runs rewrite it every CHECK_INTERVAL), its
process is alive and its device is the CPU; a crashed, suspended or GPU run does not.
Thread counts change floating-point sums, so a run that shared its cores is not bit for bit
the run it would have been alone; IMAGE_STUDIO_SHARE_CORES=0 turns sharing off.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

from models.runs.json_files import CONFIG_LIMIT, STATUS_LIMIT, read_json_object

CHECK_INTERVAL = 2.0  # seconds between looks at the other runs (and rewrites of our status)
FRESH_FOR = 30.0  # a "running" status older than this is a run that stopped without saying


def sharing_enabled() -> bool:
    return os.environ.get("IMAGE_STUDIO_SHARE_CORES", "1").strip().lower() not in ("0", "no")


def process_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return False  # os.kill(pid, 0) would send Ctrl-C there; sharing is POSIX-only for now
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except PermissionError:
        return True  # alive, owned by someone else
    except (OSError, OverflowError):
        return False
    return True


def _read_json(path: Path, limit: int) -> dict:
    """Another run's file as it is now; {} when it is missing, damaged or not a regular file
    (a FIFO named status.json must not stop this run from training)."""
    try:
        return read_json_object(path, limit)
    except (OSError, ValueError):
        return {}


def _fresh(status: dict, now: float) -> bool:
    try:
        updated = datetime.fromisoformat(str(status["updated"])).timestamp()
    except (KeyError, ValueError):
        return False
    return now - updated <= FRESH_FOR


def other_training_processes(runs_dir: Path, own_pid: int) -> set[int]:
    """Processes, other than ours, training a run on the CPU in `runs_dir` right now."""
    found: set[int] = set()
    try:
        entries = list(os.scandir(runs_dir))
    except OSError:
        return found
    now = time.time()
    for entry in entries:
        status = _read_json(Path(entry.path, "status.json"), STATUS_LIMIT)
        pid = status.get("pid")
        if status.get("state") != "running" or type(pid) is not int or pid <= 0:
            continue
        if pid == own_pid or pid in found or not _fresh(status, now):
            continue
        config = _read_json(Path(entry.path, "config.json"), CONFIG_LIMIT)
        device = str(config.get("device", "cpu"))
        if device.startswith("cpu") and process_alive(pid):
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
