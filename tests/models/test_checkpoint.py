import json
import os
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

import models.runs.checkpoint as checkpoint
from models.kinds.base import DataInfo
from models.kinds.hyperparameters import ConfigError
from models.runs.checkpoint import NonFiniteWeights, load_model, load_state
from models.runs.folder import Run, RunError
from models.runs.resume import hold_for_training
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from tests.models.conftest import TINY, train


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
    assert not (run.path / checkpoint.STAGING).exists()


def test_a_missing_or_foreign_folder_is_a_clear_error(tmp_path):
    with pytest.raises(RunError, match="no run folder"):
        Run.open(tmp_path / "missing")
    (tmp_path / "notarun").mkdir()
    with pytest.raises(RunError, match="not a run folder"):
        Run.open(tmp_path / "notarun")
    bad = tmp_path / "badconfig"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    with pytest.raises(RunError, match=r"config\.json .*JSON"):
        Run.open(bad)


def test_a_dcgan_saved_before_classes_existed_still_loads():
    from models.kinds.gan import DCGAN, DCGANConfig
    from models.runs.checkpoint import build_model

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


# --- one checkpoint, committed as one ------------------------------------------------------


class Killed(BaseException):
    """Stands for kill -9 at a point of a checkpoint: nothing after it runs."""


def kill_at(monkeypatch, point):
    def hook(name):
        if name == point:
            raise Killed(name)

    monkeypatch.setattr(checkpoint, "_test_kill", hook)
    # A killed process cleans nothing up: keep its unfinished files where they are.
    monkeypatch.setattr(checkpoint.shutil, "rmtree", lambda *a, **k: None)


def saved_pair(run):
    return checkpoint.weights_step(run), int(load_state(run, torch.device("cpu"))["step"])


def test_a_kill_after_the_weights_are_replaced_is_completed_on_reopening(
    trained_runs, tmp_path, monkeypatch
):
    run = copy_run(trained_runs["cnn"], tmp_path)
    model = load_model(run, "cpu")
    before = saved_pair(run)
    kill_at(monkeypatch, "weights-replaced")
    with pytest.raises(Killed):
        checkpoint.save_checkpoint(run, model, {"step": 999})
    monkeypatch.undo()
    # The weights file is the new one, state.pt still the old: a mismatched pair on disk...
    assert checkpoint.weights_step(run) == 999 and saved_pair(run) != (999, 999)
    assert before[0] == before[1] != 999
    # ...but the checkpoint was committed, so opening the run for training completes it.
    lock = hold_for_training(run)
    lock.release()
    assert saved_pair(run) == (999, 999)
    assert not (run.path / checkpoint.STAGING).exists()


def test_a_kill_before_the_commit_keeps_the_previous_pair(trained_runs, tmp_path, monkeypatch):
    run = copy_run(trained_runs["cnn"], tmp_path)
    model = load_model(run, "cpu")
    before = saved_pair(run)
    weights_before = run.weights_path.read_bytes()
    kill_at(monkeypatch, "weights-staged")
    with pytest.raises(Killed):
        checkpoint.save_checkpoint(run, model, {"step": 999})
    monkeypatch.undo()
    assert (run.path / checkpoint.STAGING).is_dir()  # the killed process's unfinished files
    lock = hold_for_training(run)
    lock.release()
    assert saved_pair(run) == before and run.weights_path.read_bytes() == weights_before
    assert not (run.path / checkpoint.STAGING).exists()


def test_a_mismatched_pair_from_an_older_version_is_refused_on_resume(trained_runs, tmp_path):
    run = copy_run(trained_runs["cnn"], tmp_path)
    weights, metadata = checkpoint.read_weights(run.weights_path)
    save_file(weights, str(run.weights_path), metadata={**metadata, "step": "9999"})
    config_before = run.config_path.read_bytes()
    seen = list(Trainer(resume=run.path, epochs=3).run())
    assert seen[-1].state == "failed" and "not from the same checkpoint" in seen[-1].message
    assert run.config_path.read_bytes() == config_before


def test_a_run_stopped_before_its_first_checkpoint_starts_again_from_step_0(tmp_path):
    whole, _ = train("cnn", tmp_path / "whole", seed=5)
    request = TrainRequest(kind="cnn", hyperparameters=TINY["cnn"], epochs=1, seed=5,
                           runs_dir=tmp_path / "parts", sample_every=25)  # fmt: skip
    trainer = Trainer(request)
    for report in trainer.run():
        if isinstance(report, reports.Losses) and report.step >= 20:
            trainer.stop()
    run = Run(next((tmp_path / "parts").iterdir()))
    # As a process killed before its first checkpoint leaves it: no weights, no state.
    run.weights_path.unlink()
    run.state_path.unlink()
    seen = list(Trainer(resume=run.path).run())
    started = next(r for r in seen if isinstance(r, reports.Started))
    assert started.start_step == 0 and seen[-1].state == "completed"
    records, _ = run.read_metrics()
    steps = [r["step"] for r in records if "split" not in r]
    assert steps == list(range(1, 71))  # the first attempt's steps were dropped, not doubled
    final_a = load_file(str(whole / "weights.safetensors"))
    final_b = load_file(str(run.weights_path))
    assert all(torch.equal(final_a[k], final_b[k]) for k in final_a)


# --- non-finite numbers --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN"])
def test_settings_refuse_nan_and_infinity(text):
    from models.kinds.classifier import CNNConfig
    from models.kinds.hyperparameters import describe, parse_value

    info = next(i for i in describe(CNNConfig) if i.name == "learning_rate")
    with pytest.raises(ConfigError, match="finite"):
        parse_value(info, text)


def test_a_nan_setting_in_config_json_is_refused_before_any_training(trained_runs, tmp_path):
    run = copy_run(trained_runs["cnn"], tmp_path)
    config = run.config
    config["hyperparameters"]["learning_rate"] = float("nan")
    config["training"]["epochs"] = 3
    run.config_path.write_text(json.dumps(config))  # as a person's editor writes it: NaN
    weights_before = run.weights_path.read_bytes()
    seen = list(Trainer(resume=run.path).run())
    assert seen[-1].state == "failed"
    assert "learning_rate must be a finite number" in seen[-1].message
    assert "\n" not in seen[-1].message
    assert not any(isinstance(r, (reports.Loading, reports.Started)) for r in seen)
    assert run.weights_path.read_bytes() == weights_before


def test_non_finite_weights_are_never_saved(trained_runs, tmp_path):
    run = copy_run(trained_runs["cnn"], tmp_path)
    model = load_model(run, "cpu")
    before = run.weights_path.read_bytes()
    with torch.no_grad():
        for net in model.networks().values():
            next(net.parameters()).fill_(float("nan"))
    with pytest.raises(NonFiniteWeights, match="not finite"):
        checkpoint.save_checkpoint(run, model, {"step": 999})
    assert run.weights_path.read_bytes() == before
