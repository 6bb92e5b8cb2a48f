"""`image-studio resume` and `train --set` refuse what cannot be trained, in one line, before
anything in the run folder changes."""

import pytest

from models.runs.folder import Run
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from studio.cli.main import main
from tests.models.conftest import TINY


def cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def stopped_run(tmp_path) -> Run:
    """A run stopped after its first few steps, with a checkpoint."""
    request = TrainRequest(kind="cnn", hyperparameters=TINY["cnn"], epochs=1, runs_dir=tmp_path,
                           sample_every=1000)  # fmt: skip
    trainer = Trainer(request)
    for report in trainer.run():
        if isinstance(report, reports.Losses):
            trainer.stop()
    return trainer.run_folder


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity"])
def test_a_nan_or_infinite_setting_is_refused_in_one_line(tmp_path, capsys, value):
    code, output = cli(capsys, "--runs-dir", tmp_path, "train", "--kind", "cnn", "--set",
                       f"learning_rate={value}")  # fmt: skip
    assert code != 0
    expected = f"learning_rate must be a finite number, not {float(value)}"
    assert output.strip() == f"image-studio: error: {expected}"
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_resume_refuses_epochs_below_one_and_a_state_that_does_not_load(tmp_path, capsys):
    run = stopped_run(tmp_path)
    config_before = run.config_path.read_bytes()
    for epochs in ("-3", "0"):
        code, output = cli(capsys, "resume", run.path, "--epochs", epochs)
        assert code != 0
        assert output.strip() == f"image-studio: error: --epochs must be at least 1, not {epochs}"
        assert run.config_path.read_bytes() == config_before
    run.state_path.write_bytes(b"not a state file")
    code, output = cli(capsys, "resume", run.path, "--epochs", "4")
    assert code != 0 and "state.pt" in output and "Traceback" not in output
    assert run.config_path.read_bytes() == config_before  # checked before it was rewritten
