"""The GAN with an encoder: its reconstruction term, its class-coded latent, exact resume."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from models.analysis.latent_map import encode_with_kl
from models.data.datasets import load_mnist_5k
from models.kinds.base import Batch, CapabilityError, DataInfo
from models.kinds.bigan import BiGAN, BiGANConfig
from models.runs.folder import Run
from models.training import reports
from models.training.trainer import Trainer, TrainRequest

# Small enough that an epoch (70 steps) takes a few seconds on two CPU cores.
TINY = {"batch_size": 64, "width": 8, "latent_dim": 8}
DIGITS = DataInfo((1, 28, 28), tuple("0123456789"))


def reconstruction_after(steps: int, weight: float, batch: Batch) -> tuple[float, float]:
    """Reconstruction error (mean squared, pixels in [0, 1]) of a batch before and after
    `steps` training steps on it."""
    torch.manual_seed(0)
    config = BiGANConfig(width=8, latent_dim=8, ema_decay=0.0, reconstruction_weight=weight)
    model = BiGAN(config, DIGITS, torch.device("cpu"))
    model.train_mode(False)
    before = model.evaluate([batch])["test_reconstruction"]
    model.train_mode(True)
    for _ in range(steps):
        model.train_step(batch)
    model.train_mode(False)
    return before, model.evaluate([batch])["test_reconstruction"]


def test_a_few_steps_lower_the_reconstruction_error_on_a_tiny_batch():
    batch = load_mnist_5k().batch("train", torch.arange(16))
    before, after = reconstruction_after(30, 2.0, batch)
    assert after < 0.8 * before
    # The reconstruction term is what does it: the adversarial game alone is slower.
    _, without = reconstruction_after(30, 0.0, batch)
    assert after < 0.9 * without


def test_the_latent_is_noise_then_the_class_the_encoder_reads():
    torch.manual_seed(0)
    model = BiGAN(BiGANConfig(width=8, latent_dim=8), DIGITS, torch.device("cpu"))
    assert model.conditional and model.latent_dim == 18
    model.train_mode(False)
    images = torch.rand(5, 1, 28, 28)
    latents = model.encode(images)
    assert latents.shape == (5, 18)
    codes = latents[:, 8:]
    assert torch.equal(codes.sum(1), torch.ones(5))  # one-hot, as the DCGAN's latents
    _, logits = model.encoder(images * 2 - 1)
    assert torch.equal(model.latent_classes(latents), logits.argmax(1))
    # Asking for another class keeps the encoded noise and changes the image.
    sevens = model.relabel(latents, torch.full((5,), 7))
    assert torch.equal(sevens[:, :8], latents[:, :8]) and (model.latent_classes(sevens) == 7).all()
    assert not torch.allclose(model.decode(sevens), model.decode(latents))
    # An encoder that gives a point has no per-dimension KL for the latent page to order by.
    points, kl = encode_with_kl(model, images)
    assert kl is None and torch.equal(points, latents)
    with pytest.raises(CapabilityError, match="point"):
        model.encode_distribution(images)


def test_on_unlabelled_images_the_latent_is_noise_alone():
    model = BiGAN(BiGANConfig(width=8, latent_dim=8), DataInfo((3, 32, 32)), "cpu")
    assert not model.conditional and model.latent_dim == 8
    assert model.encoder.to_class is None and model.discriminator.class_embedding is None
    images = torch.rand(4, 3, 32, 32)
    losses = model.train_step(Batch(images))
    assert losses["class_loss"] == 0.0
    model.train_mode(False)
    assert model.encode(images).shape == (4, 8)
    assert model.reconstruct(images).shape == images.shape


def test_the_evaluation_compares_reconstructions_with_a_random_pairing():
    torch.manual_seed(0)
    model = BiGAN(BiGANConfig(width=8, latent_dim=8), DIGITS, torch.device("cpu"))
    model.train_mode(False)
    images = torch.rand(6, 1, 28, 28)
    # A model that decodes every image back exactly: no error against its own image.
    model.decode = lambda latents, labels=None: images
    metrics = model.evaluate([Batch(images, torch.arange(6))])
    assert metrics["test_reconstruction"] == 0.0 and metrics["test_reconstruction_ratio"] == 0.0
    assert 0.0 <= metrics["test_d_accuracy"] <= 1.0 and "test_class_accuracy" in metrics


def losses_by_step(run_dir) -> dict[int, tuple[float, float]]:
    records, _ = Run(run_dir).read_metrics()
    return {
        r["step"]: (r["loss_d"], r["reconstruction"])
        for r in records
        if "loss_d" in r and "split" not in r
    }


def test_resume_continues_bit_for_bit(tmp_path):
    def request(folder: str) -> TrainRequest:
        return TrainRequest(kind="bigan", hyperparameters=TINY, epochs=2, seed=7,
                            runs_dir=tmp_path / folder, sample_every=25)  # fmt: skip

    list(Trainer(request("whole")).run())
    whole = next((tmp_path / "whole").iterdir())
    expected = losses_by_step(whole)
    assert len(expected) == 140

    trainer = Trainer(request("parts"))
    for report in trainer.run():
        if isinstance(report, reports.Losses) and report.step >= 93:
            trainer.stop()  # mid-epoch, between two steps
    run = Run(next((tmp_path / "parts").iterdir()))
    assert run.status()["state"] == "stopped"
    assert 93 <= run.status()["step"] < 140

    list(Trainer(resume=run.path).run())
    assert run.status()["state"] == "completed"
    assert losses_by_step(run.path) == expected  # equality of floats: bit for bit
    final_a = load_file(str(whole / "weights.safetensors"))
    final_b = load_file(str(run.weights_path))
    assert final_a.keys() == final_b.keys()
    assert all(torch.equal(final_a[k], final_b[k]) for k in final_a)
    # The run drew reconstructions beside its samples, as every kind that encodes does.
    assert [s for s, _ in run.grid_steps("reconstructions")]
    assert run.status()["best"]["name"] == "test_reconstruction_ratio"
