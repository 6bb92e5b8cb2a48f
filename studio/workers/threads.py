"""Long-lived workers run on threads of their own, never on Qt's global thread pool.

superqt's `worker.start()` queues the worker on `QThreadPool.globalInstance()`, whose size is
the core count. The training session and each page's model thread live as long as a run or a
loaded model, so on a 2-core machine two pages that had loaded a model filled the pool and a
pressed Train waited forever (and so did the window's close, which waits for training to stop).
A dedicated thread per long-lived worker costs a few kilobytes and can never be starved.

The worker's signals belong to a QObject made on the GUI thread, so emitting them from this
thread queues them to the GUI thread exactly as from a pool thread.
"""

from __future__ import annotations

import threading

from superqt.utils import WorkerBase, create_worker


def unstarted_worker(function, *args) -> WorkerBase:
    """A superqt worker for `function(*args)` that is not started: connect its signals, then
    hand it to start_on_own_thread. Never `worker.start()`, which queues it on the pool.
    Errors reach the `errored` signal instead of being raised again on the GUI thread."""
    return create_worker(function, *args, _start_thread=False, _ignore_errors=True)


def start_on_own_thread(worker: WorkerBase, name: str) -> threading.Thread:
    """Run `worker` (made by unstarted_worker) on a new thread.

    The thread is a daemon so that a worker stuck in a blocking call can never keep a closed
    window's process alive; the window still waits for training to stop (and checkpoint)
    before it closes.
    """
    thread = threading.Thread(target=worker.run, name=name, daemon=True)
    thread.start()
    return thread
