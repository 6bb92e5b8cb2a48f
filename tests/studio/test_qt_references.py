"""The installed Qt binding keeps Python's reference counts. A binding that releases a
reference it does not own (PySide6 6.12.0 released one to None on every call of a method that
returns nothing, and one to True on every emit) makes the window abort with "deallocating
None" minutes into a training run on Python before 3.12, where None, True and False can be
freed."""

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

CALLS = 500
BUILTINS = {"None": None, "True": True, "False": False}


def references_lost(call) -> dict[str, int]:
    before = {name: sys.getrefcount(value) for name, value in BUILTINS.items()}
    for _ in range(CALLS):
        call()
    return {name: before[name] - sys.getrefcount(value) for name, value in BUILTINS.items()}


class Emitter(QObject):
    changed = Signal(int)


def test_calls_that_return_nothing_keep_none_alive(qtbot):
    label = QLabel("x")
    qtbot.addWidget(label)
    label.show()
    for name, call in {"setText": lambda: label.setText("y"), "update": label.update,
                       "repaint": label.repaint}.items():  # fmt: skip
        lost = references_lost(call)
        # A few references may come and go with Python's own caches; one per call may not.
        assert max(lost.values()) < CALLS // 10, f"{name}: {lost}"


def test_emitting_to_a_python_slot_keeps_true_and_false_alive(qtbot):
    emitter = Emitter()
    seen = []
    emitter.changed.connect(lambda value: seen.append(value))
    lost = references_lost(lambda: emitter.changed.emit(1))
    assert max(lost.values()) < CALLS // 10, lost
    assert len(seen) == CALLS
