"""Pause, resume and stop from another thread, as the window and Ctrl-C ask them."""

import threading

from models.training.control import RunControl


def test_a_pause_holds_until_resumed_from_another_thread():
    control = RunControl()
    control.pause()
    assert control.held and not control.stopping
    released = threading.Event()

    def loop():
        control.wait_while_paused()
        released.set()

    thread = threading.Thread(target=loop)
    thread.start()
    assert not released.wait(0.3)  # still held
    control.resume()
    thread.join(5)
    assert released.is_set() and not control.held


def test_a_stop_ends_a_pause():
    control = RunControl()
    control.pause()
    thread = threading.Thread(target=control.wait_while_paused)
    thread.start()
    control.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert control.stopping and not control.held  # paused, but a stop wins
