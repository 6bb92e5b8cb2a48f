"""A stop during training is not held up by a many-pass kind's preview grid: the loop asks the
kind to check for the stop between network passes and drops a preview cut short."""

from __future__ import annotations

from models.training import reports
from models.training.trainer import Trainer, TrainRequest


def test_a_stop_skips_the_final_preview_of_a_many_pass_kind(tmp_path):
    request = TrainRequest("diffusion", "mnist-5k", {"batch_size": 32, "width": 8}, epochs=1,
                           sample_every=1000, runs_dir=tmp_path)  # fmt: skip
    trainer = Trainer(request)
    after_stop = []
    stopping = False
    for report in trainer.run():
        if stopping:
            after_stop.append(report)
        if isinstance(report, reports.Losses) and not stopping:
            trainer.stop()
            stopping = True
    assert not [r for r in after_stop if isinstance(r, reports.Samples)]
    states = [r.state for r in after_stop if isinstance(r, reports.StateChanged)]
    assert states[-1] == "stopped"
