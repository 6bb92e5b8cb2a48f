"""The bridge alone, without a window: reports become typed signals on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from studio_helpers import TINY, WAIT_MS, run_folder_is_complete

from models.training import reports
from studio.training.session import TrainingSession


def test_reports_arrive_as_typed_signals_on_the_gui_thread(qtbot, runs_dir):
    session = TrainingSession()
    seen: dict[str, list] = {}
    threads = set()

    def record(name):
        def slot(*args):
            threads.add(threading.current_thread() is threading.main_thread())
            seen.setdefault(name, []).append(args)

        return slot

    for name in ("started", "losses", "samples", "evaluation", "checkpoint", "state_changed"):
        getattr(session, name).connect(record(name))
    request = {"kind": "vae", "hyperparameters": TINY, "epochs": 1, "sample_every": 20,
               "runs_dir": runs_dir}  # fmt: skip
    with qtbot.waitSignal(session.finished, timeout=WAIT_MS):
        session.start(request)
    assert threads == {True}  # every slot ran on the GUI thread
    assert isinstance(seen["started"][0][0], reports.Started)
    assert all(isinstance(args[0], reports.Losses) for args in seen["losses"])
    # Batched in time at the source: far fewer signals than the 70 steps.
    assert sum(len(args[0].steps) for args in seen["losses"]) == 70
    assert len(seen["samples"]) == 5 and len(seen["evaluation"]) == 1
    assert seen["state_changed"][-1] == ("completed", "training finished")
    run_folder_is_complete(Path(session.run_dir))


def test_stop_before_the_trainer_exists_still_stops(qtbot, runs_dir):
    session = TrainingSession()
    request = {"kind": "vae", "hyperparameters": TINY, "epochs": 5, "runs_dir": runs_dir}
    with qtbot.waitSignal(session.finished, timeout=WAIT_MS):
        session.start(request)
        session.stop()  # pressed before the worker thread even began
    assert session.state == "stopped" and not session.busy


def test_an_unknown_kind_is_a_notice(qtbot, runs_dir):
    session = TrainingSession()
    notices = []
    session.notice.connect(lambda level, message: notices.append((level, message)))
    with qtbot.waitSignal(session.finished, timeout=WAIT_MS):
        session.start({"kind": "nonsense", "runs_dir": runs_dir})
    assert session.state == "failed"
    assert notices and notices[0][0] == "error" and "nonsense" in notices[0][1]
