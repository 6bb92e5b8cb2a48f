"""Every registered kind keeps the interface's promises (shapes, ranges, capabilities)."""

import dataclasses
import warnings

import pytest
import torch

from models.kinds.base import Batch, Capability, CapabilityError, DataInfo
from models.kinds.hyperparameters import ConfigError, apply_overrides, describe, parse_value
from models.kinds.registry import KINDS, UnknownKind, model_class
from models.nets.resnet import ResNetSmall

SHAPES = [(1, 28, 28), (3, 32, 32)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_field_describes_itself(kind):
    infos = describe(model_class(kind).config_class)
    assert any(info.name == "batch_size" for info in infos)
    for info in infos:
        assert info.help, info.name
        if info.type in (int, float):
            assert info.low is not None and info.high is not None, info.name
            assert info.low <= info.default <= info.high, info.name


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("shape", SHAPES)
def test_kind_steps_and_answers_in_the_right_shapes(kind, shape):
    torch.manual_seed(0)
    cls = model_class(kind)
    data = DataInfo(shape, tuple("abcdefghij"), flips_keep_label=shape[0] == 3)
    model = cls(cls.config_class(), data, torch.device("cpu"))
    model.prepare(10)
    images = torch.rand(8, *shape)
    losses = model.train_step(Batch(images, torch.arange(8) % 10))
    assert losses and all(isinstance(v, float) for v in losses.values())
    model.train_mode(False)
    metrics = model.evaluate([Batch(images, torch.arange(8) % 10)])
    assert metrics and model.primary_metric.name in metrics
    if model.can(Capability.GENERATE):
        out = model.sample(5)
        assert out.shape == (5, *shape) and float(out.min()) >= 0 and float(out.max()) <= 1
        assert model.make_noise(3).shape == (3, model.latent_dim)
        if getattr(cls, "latent_layout", "vector") == "image":  # noise shaped like the images
            assert model.latent_dim == shape[0] * shape[1] * shape[2]
    else:
        with pytest.raises(CapabilityError):
            model.sample(5)
    if model.can(Capability.ENCODE):
        latent = model.encode(images)
        assert latent.shape == (8, model.latent_dim)
        assert model.decode(latent).shape == images.shape
        copies = model.reconstruct(images)
        assert copies.shape == images.shape and 0 <= float(copies.min()) <= float(copies.max()) <= 1
    else:
        with pytest.raises(CapabilityError):
            model.encode(images)
    if model.can(Capability.CLASSIFY):
        probabilities = model.classify(images)
        assert probabilities.shape == (8, 10)
        torch.testing.assert_close(probabilities.sum(1), torch.ones(8))
    else:
        with pytest.raises(CapabilityError, match="does not classify"):
            model.classify(images)


def test_weights_round_trip_through_a_flat_map():
    cls = model_class("dcgan")
    data = DataInfo((1, 28, 28))
    a = cls(cls.config_class(), data, torch.device("cpu"))
    b = cls(cls.config_class(), data, torch.device("cpu"))
    b.load_weights(a.weights())
    noise = a.make_noise(4)
    a.train_mode(False)
    b.train_mode(False)
    torch.testing.assert_close(a.sample(4, noise=noise), b.sample(4, noise=noise))


def test_settings_are_checked_against_their_ranges():
    config_class = model_class("vae").config_class
    fields = {info.name: info for info in describe(config_class)}
    assert parse_value(fields["latent_dim"], "8") == 8
    with pytest.raises(ConfigError, match="at least 2"):
        parse_value(fields["latent_dim"], "1")
    with pytest.raises(ConfigError, match="must be a int"):
        parse_value(fields["latent_dim"], "eight")
    with pytest.raises(ConfigError, match="unknown setting 'depth'"):
        apply_overrides(config_class, {"depth": 3})
    config = apply_overrides(config_class, {"beta": 2})
    assert dataclasses.asdict(config)["beta"] == 2.0
    schedule = {info.name: info for info in describe(model_class("cnn").config_class)}["schedule"]
    with pytest.raises(ConfigError, match="one-cycle, cosine"):
        parse_value(schedule, "step")


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(UnknownKind) as info:
        model_class("transformer")
    assert ", ".join(KINDS) in str(info.value) and "dcgan" in KINDS


def test_a_classifier_refuses_unlabelled_data_at_construction():
    cls = model_class("cnn")
    with pytest.raises(ValueError, match="labelled"):
        cls(cls.config_class(), DataInfo((1, 28, 28)), torch.device("cpu"))


def test_a_dcgan_on_labelled_data_is_asked_for_classes():
    from models.kinds.gan import DCGAN, DCGANConfig

    torch.manual_seed(0)
    digits = DataInfo((1, 28, 28), tuple("0123456789"))
    model = DCGAN(DCGANConfig(latent_dim=8, width=8), digits, torch.device("cpu"))
    assert model.conditional and model.latent_dim == 18
    noise = model.make_noise(20, torch.Generator().manual_seed(1))
    codes = noise[:, 8:]
    assert torch.equal(codes.sum(1), torch.ones(20))  # one-hot class codes
    assert torch.bincount(codes.argmax(1), minlength=10).tolist() == [2] * 10  # evenly
    assert torch.equal(model.latent_classes(noise), codes.argmax(1))
    model.train_mode(False)
    sevens = torch.full((20,), 7)
    asked = model.decode(noise, sevens)
    torch.testing.assert_close(asked, model.decode(model.with_class(noise[:, :8], sevens)))
    assert not torch.allclose(asked, model.decode(noise))  # the class code changes the image
    images = torch.rand(4, 1, 28, 28)
    scores = [model.discriminator(images, torch.full((4,), c)) for c in (1, 2)]
    assert not torch.allclose(*scores)  # the discriminator judges image and class together

    unlabelled = DCGAN(DCGANConfig(latent_dim=8, width=8), DataInfo((1, 28, 28)), "cpu")
    assert not unlabelled.conditional and unlabelled.latent_dim == 8
    assert unlabelled.latent_classes(unlabelled.make_noise(3)) is None
    off = DCGAN(DCGANConfig(latent_dim=8, width=8, conditional=False), digits, "cpu")
    assert not off.conditional and off.make_noise(3).shape == (3, 8)


def test_a_classifier_warps_its_images_except_in_the_plain_finish(monkeypatch):
    from models.kinds import classifier

    warped = []

    def counting(images, *limits):
        warped.append(limits)
        return images

    monkeypatch.setattr(classifier, "random_affine", counting)
    data = DataInfo((1, 28, 28), tuple("0123456789"))
    config = classifier.CNNConfig(width=4, plain_finish=0.25, max_rotation=5.0)
    model = classifier.CNN(config, data, torch.device("cpu"))
    model.prepare(8)
    batch = Batch(torch.rand(4, 1, 28, 28), torch.arange(4))
    for _ in range(8):
        model.train_step(batch)
    assert len(warped) == 6  # the last quarter of the 8 steps trains on the images as they are
    assert warped[0] == (5.0, config.max_scale, config.max_shear)

    # A run resumed after 5 of its 8 steps is told where it is; one extended to 16 steps
    # warps again until its own last quarter.
    resumed = classifier.CNN(config, data, torch.device("cpu"))
    resumed.prepare(8, done_steps=5)
    warped.clear()
    for _ in range(3):
        resumed.train_step(batch)
    assert len(warped) == 1
    resumed.prepare(16, done_steps=8)
    warped.clear()
    for _ in range(8):
        resumed.train_step(batch)
    assert len(warped) == 4


def test_a_classifier_saved_before_warps_and_the_grid_head_loads_as_it_was_trained():
    from models.runs.checkpoint import build_model

    config = {
        "kind": "cnn",
        "hyperparameters": {"width": 4},
        "dataset": {"image_shape": [1, 28, 28], "class_names": list("0123456789")},
    }
    model = build_model(config, torch.device("cpu"))
    settings = model.config
    assert (settings.max_rotation, settings.max_scale, settings.max_shear) == (0.0, 0.0, 0.0)
    assert (settings.head_grid, settings.dropout) == (1, 0.0)
    # The weights such a run saved: an output layer over one average per channel.
    old_net = ResNetSmall(1, 10, 4)
    model.load_weights({f"cnn.{k}": v for k, v in old_net.state_dict().items()})
    assert torch.equal(model.net.head.weight, old_net.head.weight)


def test_the_classifier_head_reads_a_grid_of_cells_and_drops_inputs_only_in_training():
    from models.kinds import classifier

    data = DataInfo((1, 28, 28), tuple("0123456789"))
    config = classifier.CNNConfig(width=4, head_grid=3, dropout=0.5)
    model = classifier.CNN(config, data, torch.device("cpu"))
    images = torch.rand(6, 1, 28, 28)
    assert model.features(images).shape == (6, 4 * 4 * 3 * 3)
    assert model.net.head.in_features == 4 * 4 * 3 * 3
    model.train_mode(True)
    with torch.no_grad():
        dropped = [model.net(model._inputs(images)) for _ in range(2)]
    assert not torch.equal(*dropped)
    model.train_mode(False)
    with torch.no_grad():
        kept = [model.net(model._inputs(images)) for _ in range(2)]
    assert torch.equal(*kept)


def test_a_conditional_dcgan_relabels_latents_and_others_refuse():
    from models.kinds.gan import DCGAN, DCGANConfig

    digits = DataInfo((1, 28, 28), tuple("0123456789"))
    model = DCGAN(DCGANConfig(latent_dim=8, width=8), digits, torch.device("cpu"))
    latents = model.make_noise(4, torch.Generator().manual_seed(0))
    relabelled = model.relabel(latents, torch.tensor([3, 3, 8, 0]))
    assert model.latent_classes(relabelled).tolist() == [3, 3, 8, 0]
    assert torch.equal(relabelled[:, :8], latents[:, :8])  # the noise is kept
    unconditional = DCGAN(DCGANConfig(latent_dim=8, width=8, conditional=False), digits, "cpu")
    with pytest.raises(CapabilityError, match="without classes"):
        unconditional.relabel(unconditional.make_noise(2), torch.tensor([1, 2]))


@pytest.mark.parametrize("schedule", ["one-cycle", "cosine"])
def test_an_extended_classifier_run_plans_its_schedule_anew(schedule):
    from models.kinds.classifier import CNN, CNNConfig

    data = DataInfo((1, 28, 28), tuple("0123456789"))
    config = CNNConfig(width=4, schedule=schedule)
    batch = Batch(torch.rand(4, 1, 28, 28), torch.arange(4))
    first = CNN(config, data, torch.device("cpu"))
    first.prepare(8)
    for _ in range(8):
        first.train_step(batch)
    assert first.optimizer.param_groups[0]["lr"] < 1e-3  # the planned end: annealed
    saved = {name: part.state_dict() for name, part in first.optimizers().items()}

    # Resumed to 16 steps in all: the rate is where a 16-step plan has it at step 8.
    extended = CNN(config, data, torch.device("cpu"))
    extended.prepare(16, done_steps=8)
    extended.load_optimizer_state(saved)
    planned = CNN(config, data, torch.device("cpu"))
    planned.prepare(16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stepping the schedule alone, on purpose
        for _ in range(8):
            planned._advance_schedule()
    rate = extended.optimizer.param_groups[0]["lr"]
    assert rate == pytest.approx(planned.optimizer.param_groups[0]["lr"]) and rate > 0.02
    momentum = first.optimizer.state[next(iter(first.net.parameters()))]["momentum_buffer"]
    kept = extended.optimizer.state[next(iter(extended.net.parameters()))]["momentum_buffer"]
    assert torch.equal(kept, momentum)
    for _ in range(8):
        extended.train_step(batch)
    assert extended.optimizer.param_groups[0]["lr"] < 1e-3


def test_the_vit_warms_its_learning_rate_up_then_decays_it_with_adamw():
    cls = model_class("vit")
    config = cls.config_class(dim=16, depth=1, heads=2, warmup=0.25, learning_rate=1e-3)
    model = cls(config, DataInfo((1, 28, 28), tuple("ab")), torch.device("cpu"))
    assert isinstance(model.optimizer, torch.optim.AdamW)
    decayed, kept = model.optimizer.param_groups
    assert decayed["weight_decay"] == config.weight_decay and kept["weight_decay"] == 0.0
    assert any(p is model.net.position for p in kept["params"])  # not pulled towards zero
    model.prepare(20)
    batch = Batch(torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 0, 1]))
    rates = [model.train_step(batch)["lr"] for _ in range(20)]
    peak = rates.index(max(rates))
    assert 3 <= peak <= 6 and max(rates) == pytest.approx(1e-3, rel=0.05)
    assert rates[0] < 0.3e-3 and rates[-1] < 0.02e-3
    rising, falling = rates[: peak + 1], rates[peak:]
    assert rising == sorted(rising) and falling == sorted(falling, reverse=True)


@pytest.mark.parametrize("kind", ["resnet18", "vit"])
def test_a_saved_classifier_of_a_new_kind_loads_and_answers_the_same(kind):
    from models.runs.checkpoint import build_model

    small = {"resnet18": {"width": 4}, "vit": {"dim": 16, "depth": 1, "heads": 2}}[kind]
    config = {
        "kind": kind,
        "hyperparameters": small,
        "dataset": {"image_shape": [3, 32, 32], "class_names": list("abc")},
    }
    torch.manual_seed(0)
    trained = build_model(config, torch.device("cpu"))
    trained.prepare(2)
    trained.train_step(Batch(torch.rand(8, 3, 32, 32), torch.arange(8) % 3))
    trained.train_mode(False)
    reopened = build_model(config, torch.device("cpu"))
    reopened.load_weights(trained.weights())
    reopened.train_mode(False)
    images = torch.rand(4, 3, 32, 32)
    torch.testing.assert_close(reopened.classify(images), trained.classify(images))
    assert all(name.startswith(trained.network_name + ".") for name in trained.weights())
