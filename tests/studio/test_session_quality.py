"""The bridge forwards the quality monitor's report as a signal of its own."""

from __future__ import annotations

from models.training import reports
from studio.training.session import TrainingSession


def test_a_quality_report_becomes_the_quality_signal(qtbot):
    session = TrainingSession()
    report = reports.Quality(
        step=40, epoch=1, elapsed=12.5, figures={"fid": 3.5, "recall": 0.4}, class_names=("a",),
        class_shares=(1.0,), samples=1000, seconds=0.4, warnings=("collapsing",),
    )  # fmt: skip
    with qtbot.waitSignal(session.quality, timeout=1000) as caught:
        session._dispatch(report)
    assert caught.args == [report]
