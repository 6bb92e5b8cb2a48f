"""Pause, resume and stop, asked from any thread (the window, Ctrl-C) and read by the training
loop between steps. The Trainer owns one and the loop is handed it, so neither reaches into
the other."""

from __future__ import annotations

import threading

PAUSE_POLL = 0.25  # seconds between looks at a stop while paused


class RunControl:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._paused = False
        self._stopping = False

    def pause(self) -> None:
        with self._condition:
            self._paused = True

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._condition.notify_all()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def held(self) -> bool:
        """Paused, and not asked to stop (a stop ends a pause)."""
        with self._condition:
            return self._paused and not self._stopping

    def wait_while_paused(self) -> None:
        with self._condition:
            while self._paused and not self._stopping:
                self._condition.wait(PAUSE_POLL)
