import errno
import json
import math
import threading
from pathlib import Path

import pytest
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from models.runs import checkpoint
from models.runs.checkpoint import load_state, weights_step
from models.runs.folder import Run
from models.training import loop as training_loop
from models.training import reports
from models.training.loop import NONFINITE_PATIENCE
from models.training.trainer import Trainer, TrainRequest
from tests.models.conftest import TINY, train


def losses_by_step(run_dir):
    records, _ = Run(run_dir).read_metrics()
    return {r["step"]: r["loss"] for r in records if "loss" in r and "split" not in r}


def test_a_run_folder_is_complete_and_reports_are_batched(tmp_path, monkeypatch):
    # Reports are batched by time; a long interval makes the batching independent of how fast
    # a loaded machine happens to run the steps.
    monkeypatch.setattr(training_loop, "REPORT_INTERVAL", 3600.0)
    run_dir, seen = train("vae", tmp_path, sample_every=20)
    for name in ("config.json", "status.json", "metrics.jsonl", "weights.safetensors", "state.pt"):
        assert (run_dir / name).exists(), name
    config = json.loads((run_dir / "config.json").read_text())
    assert config["kind"] == "vae" and config["dataset"]["name"] == "mnist-5k"
    assert config["hyperparameters"]["latent_dim"] == 16 and "torch" in config["versions"]
    run = Run(run_dir)
    assert [s for s, _ in run.grid_steps()] == [0, 20, 40, 60, 70]
    assert run.status()["state"] == "completed" and run.status()["best"]["name"] == "test_loss"

    losses = [r for r in seen if isinstance(r, reports.Losses)]
    steps = [s for r in losses for s in r.steps]
    assert steps == list(range(1, 71))  # every step logged exactly once
    assert len(losses) < len(steps)  # ...but not one report per step
    assert losses[-1].eta_seconds is not None and losses[-1].images_per_second > 0
    assert isinstance(seen[-1], reports.StateChanged) and seen[-1].state == "completed"
    evaluation = next(r for r in seen if isinstance(r, reports.Evaluation))
    assert math.isfinite(evaluation.metrics["test_loss"])
    samples = next(r for r in seen if isinstance(r, reports.Samples))
    assert samples.grid.dtype.name == "uint8" and samples.reconstructions is not None


# The CNN draws random warps until the last eighth of its 140 steps (from step 122), so the
# resumed part must know where the run is to warp (or not) as the whole run did.
@pytest.mark.parametrize("kind", ["vae", "cnn"])
def test_resume_continues_bit_for_bit(tmp_path, kind):
    whole, _ = train(kind, tmp_path / "whole", epochs=2, seed=7)
    expected = losses_by_step(whole)

    request = TrainRequest(kind=kind, hyperparameters=TINY[kind], epochs=2, seed=7,
                           runs_dir=tmp_path / "parts", sample_every=25)  # fmt: skip
    trainer = Trainer(request)
    for report in trainer.run():
        if isinstance(report, reports.Losses) and report.step >= 93:
            trainer.stop()  # mid-epoch, between two steps
    run = Run(next((tmp_path / "parts").iterdir()))
    assert run.status()["state"] == "stopped"
    stopped_at = run.status()["step"]
    assert 93 <= stopped_at < 140

    list(Trainer(resume=run.path).run())
    assert run.status()["state"] == "completed"
    assert losses_by_step(run.path) == expected  # equality of floats: bit for bit
    final_a = load_file(str(whole / "weights.safetensors"))
    final_b = load_file(str(run.weights_path))
    assert all(torch.equal(final_a[k], final_b[k]) for k in final_a)


def test_pause_resume_and_stop_from_another_thread(tmp_path):
    request = TrainRequest(kind="vae", hyperparameters=TINY["vae"], epochs=3,
                           runs_dir=tmp_path, sample_every=1000)  # fmt: skip
    trainer = Trainer(request)
    states = []
    for report in trainer.run():
        if isinstance(report, reports.Losses) and "paused" not in states:
            trainer.pause()
        if isinstance(report, reports.StateChanged):
            states.append(report.state)
            if report.state == "paused":
                # Another thread (the window) resumes a moment later, then stops.
                threading.Timer(0.2, trainer.resume).start()
            elif report.state == "running" and "paused" in states:
                trainer.stop()
    assert states == ["running", "paused", "running", "stopped"]
    run = Run(next(tmp_path.iterdir()))
    assert run.status()["state"] == "stopped" and run.has_checkpoint()
    assert run.status()["step"] < 3 * 70


def test_non_finite_losses_skip_the_step_then_pause(tmp_path, monkeypatch):
    import models.kinds.vae as vae_module

    real_terms = vae_module.vae_terms
    calls = {"n": 0}

    def poisoned(net, images):
        calls["n"] += 1
        recon, kl, mu = real_terms(net, images)
        if calls["n"] > 30:
            recon = recon * float("nan")
        return recon, kl, mu

    monkeypatch.setattr(vae_module, "vae_terms", poisoned)
    monkeypatch.setattr(training_loop, "CHECKPOINT_INTERVAL", 1e9)  # none before the NaN
    request = TrainRequest(kind="vae", hyperparameters=TINY["vae"], epochs=1,
                           runs_dir=tmp_path, sample_every=1000)  # fmt: skip
    trainer = Trainer(request)
    seen = []
    for report in trainer.run():
        seen.append(report)
        if isinstance(report, reports.StateChanged) and report.state == "paused":
            trainer.stop()
    notice = next(r for r in seen if isinstance(r, reports.Notice) and r.level == "warning")
    assert "not a finite number" in notice.message
    run = Run(next(tmp_path.iterdir()))
    assert run.status()["step"] == 30 + NONFINITE_PATIENCE
    # Stopped while paused: nothing since the last good checkpoint is saved (there was none).
    assert not run.weights_path.exists() and not run.state_path.exists()
    assert "the run has no checkpoint yet" in run.status()["message"]


def poison_weights_after(monkeypatch, kind, step):
    """From `step` on, each training step leaves every weight NaN, as a NaN learning rate does."""
    from models.kinds.registry import model_class

    cls = model_class(kind)
    real_step = cls.train_step
    calls = {"n": 0}

    def poisoned(self, batch):
        losses = real_step(self, batch)
        calls["n"] += 1
        if calls["n"] >= step:
            with torch.no_grad():
                for net in self.networks().values():
                    for parameter in net.parameters():
                        parameter.fill_(float("nan"))
        return losses

    monkeypatch.setattr(cls, "train_step", poisoned)


def test_a_loss_that_turns_nan_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(training_loop, "MIN_CHECKPOINT_GAP", 0.0)  # a checkpoint each epoch
    monkeypatch.setattr(training_loop, "CHECKPOINT_INTERVAL", 1e9)  # and only then
    poison_weights_after(monkeypatch, "cnn", 80)
    request = TrainRequest(kind="cnn", hyperparameters=TINY["cnn"], epochs=2,
                           runs_dir=tmp_path, sample_every=1000)  # fmt: skip
    trainer = Trainer(request)
    seen = []
    for report in trainer.run():
        seen.append(report)
        if isinstance(report, reports.StateChanged) and report.state == "paused":
            trainer.stop()
    assert [r.step for r in seen if isinstance(r, reports.Checkpoint)] == [70]
    run = Run(next(tmp_path.iterdir()))
    assert run.status()["state"] == "stopped"
    assert "the checkpoint of step 70 is kept" in run.status()["message"]
    weights = load_file(str(run.weights_path))
    assert all(torch.isfinite(w).all() for w in weights.values())
    assert weights_step(run) == 70 == load_state(run, torch.device("cpu"))["step"]


@pytest.mark.parametrize(
    "disk_full",
    [
        lambda: OSError(errno.ENOSPC, "No space left on device"),
        lambda: SafetensorError(
            "Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "
            '"No space left on device" })'
        ),
    ],
    ids=["oserror", "safetensors"],
)
def test_a_full_disk_pauses_keeps_the_checkpoint_and_goes_on_when_space_is_back(
    tmp_path, monkeypatch, disk_full
):
    monkeypatch.setattr(training_loop, "MIN_CHECKPOINT_GAP", 0.0)  # a checkpoint each epoch
    monkeypatch.setattr(training_loop, "CHECKPOINT_INTERVAL", 1e9)  # and only then
    real_writer = checkpoint.save_file
    full = {"now": False}

    def writer(tensors, filename, metadata=None):
        if full["now"]:
            raise disk_full()
        return real_writer(tensors, filename, metadata=metadata)

    monkeypatch.setattr(checkpoint, "save_file", writer)
    request = TrainRequest(kind="cnn", hyperparameters=TINY["cnn"], epochs=2,
                           runs_dir=tmp_path, sample_every=1000)  # fmt: skip
    trainer = Trainer(request)
    seen = []
    kept_while_paused = None
    for report in trainer.run():
        seen.append(report)
        if isinstance(report, reports.Checkpoint) and report.step == 70:
            full["now"] = True
        if isinstance(report, reports.StateChanged) and report.state == "paused":
            kept_while_paused = weights_step(trainer.run_folder)
            full["now"] = False  # space is back
            trainer.resume()
    notices = [r for r in seen if isinstance(r, reports.Notice) and "disk" in r.message]
    assert len(notices) == 1 and notices[0].message.startswith("disk full: ")
    assert "\n" not in notices[0].message and "step 70 is kept" in notices[0].message
    assert kept_while_paused == 70
    assert seen[-1].state == "completed"
    run = trainer.run_folder
    assert weights_step(run) == 140 == load_state(run, torch.device("cpu"))["step"]
    assert not [p for p in run.path.iterdir() if p.name.startswith(".")]


def test_every_kind_trains_and_reports_its_losses(trained_runs):
    expected = {"vae": {"loss", "kl"}, "dcgan": {"loss_d", "loss_g"}, "cnn": {"loss", "accuracy"}}
    for kind, run_dir in trained_runs.items():
        records, _ = Run(run_dir).read_metrics()
        steps = [r for r in records if "split" not in r]
        assert expected[kind] <= set(steps[-1]), kind
        assert all(math.isfinite(r[name]) for r in steps for name in expected[kind])
        evaluations = [r for r in records if r.get("split") == "test"]
        assert len(evaluations) == 1


def test_a_conditional_dcgan_grid_has_a_column_per_class(trained_runs):
    from PIL import Image

    from models.runs.checkpoint import load_model

    grids = sorted((Path(trained_runs["dcgan"]) / "samples").glob("step-*.png"))
    assert grids and Image.open(grids[-1]).size == (10 * 30 + 2, 8 * 30 + 2)  # 10 x 8 tiles
    model = load_model(Run(trained_runs["dcgan"]), "cpu")
    noise = model.make_noise(80, torch.Generator().manual_seed(0))
    classes = noise[:, model.latent_dim - 10 :].argmax(1).view(8, 10)
    assert (classes == classes[0]).all()  # batches of make_noise cycle through the classes
    vae_grids = sorted((Path(trained_runs["vae"]) / "samples").glob("step-*.png"))
    assert Image.open(vae_grids[-1]).size == (8 * 30 + 2, 8 * 30 + 2)


def first_loss(request: TrainRequest) -> float:
    trainer = Trainer(request)
    for report in trainer.run():
        if isinstance(report, reports.Losses):
            trainer.stop()
            loss = report.values["loss"][0]
    return loss


def test_fork_starts_from_the_parent_weights(trained_runs, tmp_path):
    parent = trained_runs["cnn"]
    settings = {**TINY["cnn"], "learning_rate": 0.001}
    fresh = first_loss(TrainRequest(kind="cnn", hyperparameters=settings, epochs=1,
                                    runs_dir=tmp_path / "fresh"))  # fmt: skip
    forked = first_loss(TrainRequest(kind="cnn", hyperparameters=settings, epochs=1,
                                     runs_dir=tmp_path / "fork", fork_from=parent))  # fmt: skip
    fork = Run(next((tmp_path / "fork").iterdir()))
    assert fork.config["parent"] == parent.name
    assert fork.config["hyperparameters"]["learning_rate"] == 0.001
    assert forked < fresh - 0.3  # the parent's training shows from the first step


def test_a_classifier_refuses_unlabelled_data(tmp_path):
    from PIL import Image

    for i in range(10):
        Image.new("L", (28, 28), i * 20).save(tmp_path / f"{i}.png")
    request = TrainRequest(kind="cnn", dataset=f"folder:{tmp_path}", runs_dir=tmp_path / "runs")
    seen = list(Trainer(request).run())
    assert seen[-1].state == "failed"
    assert "sub-folder" in seen[-1].message
