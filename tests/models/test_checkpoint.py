import os
import shutil

import pytest
import torch

import models.checkpoint as checkpoint
from models.base import DataInfo
from models.checkpoint import load_model, load_state
from models.runs import Run, RunError
from models.training import Trainer


class RunsCode:
    """A pickle payload that would create a file if it were ever unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def copy_run(source, tmp_path):
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return Run.open(target)


def test_a_state_file_that_would_run_code_is_refused_unread(trained_runs, tmp_path):
    run = copy_run(trained_runs["vae"], tmp_path)
    marker = tmp_path / "pwned"
    torch.save({"step": 1, "payload": RunsCode(marker)}, run.state_path)
    with pytest.raises(RunError, match="refused unread"):
        load_state(run, torch.device("cpu"))
    assert not marker.exists()
    # The same file through the resume path: a clear failure, nothing executed.
    seen = list(Trainer(resume=run.path).run())
    assert seen[-1].state == "failed" and "refused unread" in seen[-1].message
    assert not marker.exists()


def test_weights_of_another_kind_are_refused(trained_runs, tmp_path):
    run = copy_run(trained_runs["vae"], tmp_path)
    shutil.copy(trained_runs["dcgan"] / "weights.safetensors", run.weights_path)
    with pytest.raises(RunError, match="holds a dcgan model"):
        load_model(run, "cpu")


def test_a_damaged_weights_file_is_refused_clearly(trained_runs, tmp_path):
    run = copy_run(trained_runs["cnn"], tmp_path)
    data = run.weights_path.read_bytes()
    run.weights_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="damaged"):
        load_model(run, "cpu")
    run.weights_path.write_bytes(b"")
    with pytest.raises(RunError, match="damaged"):
        load_model(run, "cpu")


def test_a_crash_while_saving_keeps_the_previous_checkpoint(trained_runs, tmp_path, monkeypatch):
    run = copy_run(trained_runs["vae"], tmp_path)
    model = load_model(run, "cpu")
    before = run.weights_path.read_bytes()

    def crash(tensors, filename, metadata=None):
        with open(filename, "wb") as handle:
            handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "save_file", crash)
    with pytest.raises(OSError):
        checkpoint.save_checkpoint(run, model, {"step": 999})
    assert run.weights_path.read_bytes() == before
    assert load_model(run, "cpu").kind == "vae"
    assert not [p for p in run.path.iterdir() if p.name.endswith(".tmp")]


def test_a_missing_or_foreign_folder_is_a_clear_error(tmp_path):
    with pytest.raises(RunError, match="no run folder"):
        Run.open(tmp_path / "missing")
    (tmp_path / "notarun").mkdir()
    with pytest.raises(RunError, match="not a run folder"):
        Run.open(tmp_path / "notarun")
    bad = tmp_path / "badconfig"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    with pytest.raises(RunError, match="cannot be read"):
        Run.open(bad)


def test_a_dcgan_saved_before_classes_existed_still_loads():
    from models.checkpoint import build_model
    from models.gan import DCGAN, DCGANConfig

    torch.manual_seed(0)
    digits = DataInfo((1, 28, 28), tuple("0123456789"))
    old = DCGAN(DCGANConfig(latent_dim=8, width=8, conditional=False), digits, "cpu")
    # As such a run saved them: no `conditional` setting, the score layer inside `body`.
    weights = {
        k.replace("discriminator.score.", "discriminator.body.6."): v
        for k, v in old.weights().items()
    }
    config = {
        "kind": "dcgan",
        "hyperparameters": {"latent_dim": 8, "width": 8},
        "dataset": {"image_shape": [1, 28, 28], "class_names": list(digits.class_names)},
    }
    model = build_model(config, torch.device("cpu"))
    assert not model.conditional and model.latent_dim == 8
    model.load_weights(weights)
    old.train_mode(False)
    model.train_mode(False)
    noise = torch.randn(4, 8)
    torch.testing.assert_close(model.decode(noise), old.decode(noise))
    images = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(model.discriminator(images), old.discriminator(images))
