"""The diffusion kind: guidance, class choice, its latent, inversion, trajectories, exact
resume, and sampling that can be cancelled."""

import numpy as np
import pytest
import torch
from torch import nn

from models.kinds.base import Batch, CapabilityError, DataInfo
from models.kinds.description import describe_kind
from models.kinds.diffusion import Diffusion, DiffusionConfig
from models.kinds.diffusion_sampling import SamplingCancelled
from models.nets.unet import UNet

DIGITS = DataInfo((1, 28, 28), tuple("0123456789"))


def wake(net: nn.Module) -> nn.Module:
    """A fresh U-Net's residual branches and output layer start at zero (it predicts nothing
    and ignores time and class); random weights there make every input count, as training
    would."""
    for module in net.modules():
        if isinstance(module, nn.Conv2d) and not module.weight.any():
            nn.init.normal_(module.weight, std=0.1)
    return net


def tiny(data=DIGITS, **settings) -> Diffusion:
    torch.manual_seed(0)
    model = Diffusion(DiffusionConfig(width=8, **settings), data, torch.device("cpu"))
    wake(model.net)
    model.net_ema.load_state_dict(model.net.state_dict())
    model.train_mode(False)
    return model


def test_the_kind_describes_an_image_shaped_latent_decoded_in_many_passes():
    described = describe_kind(Diffusion)
    assert described.latent_layout == "image" and described.decode_passes == "many"
    assert described.decode_is_deterministic
    model = tiny()
    assert model.latent_dim == 28 * 28 and model.make_noise(3).shape == (3, 784)
    assert model.conditional
    assert not tiny(DataInfo((1, 28, 28))).conditional
    assert not tiny(conditional=False).conditional


def test_the_unet_keeps_the_image_shape_and_hears_time_and_class():
    for channels, side in ((1, 28), (3, 32)):
        net = wake(UNet(channels, 8, classes=10))
        x = torch.randn(2, channels, side, side)
        out = net(x, torch.tensor([10, 10]), torch.tensor([1, 1]))
        assert out.shape == x.shape
        assert not torch.allclose(out, net(x, torch.tensor([900, 900]), torch.tensor([1, 1])))
        assert not torch.allclose(out, net(x, torch.tensor([10, 10]), torch.tensor([2, 2])))
        # Class weights: a one-hot row is that class; the last column is "no class".
        one_hot = torch.nn.functional.one_hot(torch.tensor([1, 10]), 11).float()
        early = torch.tensor([10, 10])
        torch.testing.assert_close(net(x, early, one_hot), net(x, early, torch.tensor([1, 10])))


def test_guidance_zero_is_unconditional_one_is_conditional_and_more_extrapolates():
    model = tiny()
    noise = model.make_noise(4, torch.Generator().manual_seed(1))
    sevens = torch.full((4,), 7)
    unconditional = model.decode(noise, steps=3)
    assert torch.equal(model.decode(noise, sevens, steps=3, guidance=0), unconditional)
    conditional = model.decode(noise, sevens, steps=3, guidance=1)
    assert not torch.allclose(conditional, unconditional)
    guided = model.decode(noise, sevens, steps=3, guidance=3)
    assert not torch.allclose(guided, conditional)

    # One guided network pass is u + w (c - u), with both halves in one batch.
    x = model._as_images(noise)
    plain = model._predictor(None, 4, 1.0)(x, 500)
    asked = model._predictor(sevens, 4, 1.0)(x, 500)
    torch.testing.assert_close(model._predictor(sevens, 4, 3.0)(x, 500),
                               plain + 3.0 * (asked - plain), rtol=1e-4, atol=1e-5)  # fmt: skip


def test_sample_draws_classes_in_turn_and_decode_is_deterministic():
    model = tiny()
    noise = model.make_noise(10, torch.Generator().manual_seed(2))
    turns = model.sample(10, noise=noise, steps=3)
    torch.testing.assert_close(turns, model.decode(noise, torch.arange(10), steps=3))
    assert torch.equal(model.decode(noise, steps=4), model.decode(noise, steps=4))
    ddpm = [
        model.decode(noise, steps=4, sampler="ddpm", generator=torch.Generator().manual_seed(s))
        for s in (1, 1, 2)
    ]
    assert torch.equal(ddpm[0], ddpm[1]) and not torch.equal(ddpm[0], ddpm[2])
    with pytest.raises(ValueError, match="unknown sampler"):
        model.decode(noise, steps=2, sampler="euler")
    with pytest.raises(ValueError, match="at least 0"):
        model.decode(noise, steps=2, guidance=-1)


def test_the_class_is_asked_of_decode_not_carried_by_the_noise():
    model = tiny()
    noise = model.make_noise(2)
    assert model.latent_classes(noise) is None
    with pytest.raises(CapabilityError, match="carries no class"):
        model.relabel(noise, torch.tensor([1, 2]))
    unlabelled = tiny(DataInfo((1, 28, 28)))
    with pytest.raises(CapabilityError, match="without classes"):
        unlabelled.relabel(noise, torch.tensor([1, 2]))
    # A blend of two classes' weights lies between the two.
    halves = torch.zeros(2, 10)
    halves[:, 3] = halves[:, 8] = 0.5
    blended = model.decode(noise, halves, steps=2, guidance=1)
    threes = model.decode(noise, torch.full((2,), 3), steps=2, guidance=1)
    assert not torch.allclose(blended, threes)


def test_encode_inverts_decode_for_its_own_noise():
    # A network's own deterministic sample is inverted back to (nearly) the noise it came
    # from, and that noise regenerates the sample.
    model = tiny(DataInfo((1, 28, 28)), prediction="v")
    noise = model.make_noise(3, torch.Generator().manual_seed(3))
    images = model.decode(noise, steps=20)
    found = model.encode(images, steps=20)
    assert found.shape == noise.shape
    again = model.decode(found, steps=20)
    error = float((again - images).abs().mean())
    other = model.decode(model.make_noise(3, torch.Generator().manual_seed(9)), steps=20)
    # Within a few % of the pixel range, for an untrained (rough) network; another noise's
    # images are far further away.
    assert error < 0.05 and error < float((other - images).abs().mean()) / 5
    assert model.reconstruct(images, steps=20).shape == images.shape


def test_the_trajectory_is_plain_data_ending_in_the_sample():
    model = tiny()
    noise = model.make_noise(2, torch.Generator().manual_seed(4))
    labels = torch.tensor([1, 2])
    trajectory = model.trajectory(noise, labels, steps=5)
    assert trajectory.timesteps == (999, 799, 599, 399, 199)
    assert trajectory.noisy.shape == trajectory.predicted.shape == (5, 2, 28, 28, 1)
    assert trajectory.noisy.dtype == np.uint8 and trajectory.final.dtype == np.uint8
    final = model.decode(noise, labels, steps=5)
    assert np.array_equal(trajectory.final[..., 0], (final[:, 0] * 255).round().byte().numpy())
    assert np.array_equal(trajectory.predicted[-1], trajectory.final)  # last step: clean


def test_long_sampling_stops_when_asked_and_reports_progress():
    model = tiny()
    asked = []
    with pytest.raises(SamplingCancelled):
        model.sample(4, steps=50, cancel=lambda: asked.append(1) or len(asked) > 2)
    assert len(asked) == 3  # asked before each step; the third answer stopped it
    seen = []
    model.sample(2, steps=4, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with pytest.raises(SamplingCancelled):
        model.encode(torch.rand(1, 1, 28, 28), steps=10, cancel=lambda: True)
    with pytest.raises(SamplingCancelled):
        model.reconstruct(torch.rand(1, 1, 28, 28), steps=10, cancel=lambda: True)
    seen.clear()
    model.reconstruct(torch.rand(1, 1, 28, 28), steps=2,
                      progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]  # inversion, then regeneration
    seen.clear()  # unasked, the quick preview steps: the training grids reconstruct this way
    model.reconstruct(torch.rand(1, 1, 28, 28), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (2 * model.config.preview_steps,) * 2


def test_training_lowers_the_loss_and_the_average_follows():
    model = tiny(DataInfo((1, 28, 28)), learning_rate=3e-3)
    model.train_mode(True)
    model.prepare(40)
    images = torch.zeros(16, 1, 28, 28)
    images[:, :, 8:20, 12:16] = 1.0  # one bar: an easy distribution
    before = model.evaluate([Batch(images)])["test_loss"]
    first = model.train_step(Batch(images))
    assert first["lr"] < model.config.learning_rate  # warming up
    for _ in range(40):
        model.train_step(Batch(images))
    model.train_mode(False)
    after = model.evaluate([Batch(images)])["test_loss"]
    assert after < 0.7 * before


def test_a_resumed_model_continues_bit_for_bit():
    data = DataInfo((1, 28, 28), tuple("0123456789"))
    batches = [Batch(torch.rand(8, 1, 28, 28), torch.arange(8) % 10) for _ in range(6)]

    def fresh():
        model = Diffusion(DiffusionConfig(width=8), data, torch.device("cpu"))
        model.train_mode(True)
        model.prepare(6)
        return model

    torch.manual_seed(5)
    whole = fresh()
    losses = [whole.train_step(b)["loss"] for b in batches]

    torch.manual_seed(5)
    first = fresh()
    for b in batches[:3]:
        first.train_step(b)
    weights, optimizers = first.weights(), first.optimizer_state()
    rng = torch.get_rng_state()
    resumed = fresh()
    resumed.load_weights(weights)
    resumed.load_optimizer_state(optimizers)
    resumed.prepare(6, done_steps=3)
    torch.set_rng_state(rng)
    assert [resumed.train_step(b)["loss"] for b in batches[3:]] == losses[3:]
    final = whole.weights()
    assert all(torch.equal(final[k], v) for k, v in resumed.weights().items())
