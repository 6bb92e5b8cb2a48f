"""The one-shot job bridge: results arrive on the GUI thread, newer jobs replace waiting ones,
generators stream and cancel, failures become messages, and shutdown leaves no thread."""

from __future__ import annotations

import threading

from studio.workers.model_tasks import ModelTasks


def collect(tasks: ModelTasks) -> dict[str, list]:
    seen: dict[str, list] = {"result": [], "item": [], "done": [], "failed": []}
    tasks.result.connect(lambda n, v: seen["result"].append((n, v)))
    tasks.item.connect(lambda n, v: seen["item"].append((n, v)))
    tasks.done.connect(lambda n, c: seen["done"].append((n, c)))
    tasks.failed.connect(lambda n, m: seen["failed"].append((n, m)))
    return seen


def test_result_reaches_the_gui_thread_and_cache_persists(qtbot):
    tasks = ModelTasks()
    seen = collect(tasks)
    gui = threading.get_ident()

    def job(context, value):
        context.cache["calls"] = context.cache.get("calls", 0) + 1
        return value * 2, context.cache["calls"], threading.get_ident() != gui

    tasks.submit("double", job, 21)
    qtbot.waitUntil(lambda: len(seen["result"]) == 1)
    tasks.submit("double", job, 5)
    qtbot.waitUntil(lambda: len(seen["result"]) == 2)
    assert seen["result"] == [("double", (42, 1, True)), ("double", (10, 2, True))]
    assert tasks.shutdown()


def test_a_newer_job_of_the_same_name_replaces_a_waiting_one(qtbot):
    tasks = ModelTasks()
    seen = collect(tasks)
    gate = threading.Event()

    def slow(context):
        gate.wait(10)
        return "slow"

    tasks.submit("block", slow)
    qtbot.waitUntil(lambda: tasks._running == "block")
    for value in range(10):
        tasks.submit("decode", lambda context, v: v, value)
    gate.set()
    qtbot.waitUntil(lambda: len(seen["result"]) == 2)
    assert seen["result"] == [("block", "slow"), ("decode", 9)]
    assert tasks.shutdown()


def test_generator_streams_and_cancels_between_items(qtbot):
    tasks = ModelTasks()
    seen = collect(tasks)
    release = threading.Event()

    def stream(context):
        for i in range(1000):
            if i == 3:
                release.wait(10)
            yield i

    tasks.submit("files", stream)
    qtbot.waitUntil(lambda: len(seen["item"]) >= 3)
    tasks.cancel("files")
    release.set()
    qtbot.waitUntil(lambda: seen["done"] == [("files", True)])
    assert len(seen["item"]) < 1000
    assert tasks.shutdown()


def test_a_failing_job_is_a_message_and_the_thread_goes_on(qtbot):
    tasks = ModelTasks()
    seen = collect(tasks)

    def broken(context):
        raise ValueError("this run has no encoder")

    tasks.submit("encode", broken)
    tasks.submit("ok", lambda context: "fine")
    qtbot.waitUntil(lambda: len(seen["result"]) == 1)
    assert seen["failed"] == [("encode", "this run has no encoder")]
    assert seen["result"] == [("ok", "fine")]
    assert tasks.shutdown()
    assert not tasks.busy
