"""`image-studio train` prints each quality measurement as one line of name=value pairs."""

from __future__ import annotations

import io

from models.training import reports
from studio.cli.progress import TrainingProgress


class FakeTrainer:
    """What the progress bar reads of a Trainer: its reports, and no run folder."""

    run_folder = None

    def __init__(self, sent):
        self.sent = sent

    def run(self):
        yield from self.sent

    def stop(self):
        pass


def test_train_prints_each_quality_report_as_one_line():
    config = {"kind": "gan", "dataset": {"name": "digits"}}
    quality = reports.Quality(
        step=400, epoch=5, elapsed=30.0,
        figures={"fid": 12.345678, "recall": 0.5, "precision": 0.7},
        class_names=("0", "1"), class_shares=(0.5, 0.5), samples=1000, seconds=0.61,
    )  # fmt: skip
    sent = [
        reports.Started("run", config, "cpu", 800, 80, 0),
        reports.Losses([400], {"loss": [1.0]}, 5, 400, 800, 30.0, 100.0, 30.0),
        quality,
        reports.Notice("warning", "Step 400: the generator may be collapsing"),
        reports.StateChanged("completed"),
    ]
    stream = io.StringIO()
    assert TrainingProgress(stream).show(FakeTrainer(sent)) == 0
    lines = [line for line in stream.getvalue().splitlines() if "fid=" in line]
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("quality at step 400 (epoch 5): ")
    assert "fid=12.35" in line and "recall=0.5" in line and "precision=0.7" in line
    assert "samples=1000" in line
    assert "warning: Step 400: the generator may be collapsing" in stream.getvalue()
