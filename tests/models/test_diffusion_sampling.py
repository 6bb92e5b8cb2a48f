"""The diffusion samplers on data whose true noise predictor is known in closed form: pixels
drawn independently from N(MEAN, STD²). Given x_t, the clean pixel is Gaussian too, so the
ideal network's output is exact and the samplers' own errors show alone."""

import pytest
import torch

from models.kinds import diffusion_sampling as sampling

MEAN, STD = 0.3, 0.4


def ideal_network(alphas, prediction: sampling.Prediction):
    """The exact posterior-mean predictor of N(MEAN, STD²) pixels, in the prediction's terms."""

    def predict(sample, t):
        a = alphas[t]
        clean = MEAN + a.sqrt() * STD**2 * (sample - a.sqrt() * MEAN) / (a * STD**2 + 1 - a)
        noise = (sample - a.sqrt() * clean) / (1 - a).sqrt()
        return noise if prediction.kind == "noise" else a.sqrt() * noise - (1 - a).sqrt() * clean

    return predict


def make(schedule: str, kind: str, cls=sampling.DDIMSampler):
    alphas = sampling.alphas_cumprod(schedule)
    prediction = sampling.Prediction(kind)
    return cls(alphas, prediction, clip_sample=False), ideal_network(alphas, prediction)


def test_schedules_run_from_clean_to_pure_noise():
    for schedule in sampling.SCHEDULES:
        alphas = sampling.alphas_cumprod(schedule)
        assert len(alphas) == sampling.TRAINING_TIMESTEPS == 1000
        assert alphas[0] > 0.999 and alphas[-1] < 1e-4
        assert torch.all(alphas[1:] < alphas[:-1])
    cosine, linear = (sampling.alphas_cumprod(s) for s in ("cosine", "linear"))
    assert cosine[500] > linear[500]  # cosine keeps more of the image through the middle


def test_timesteps_are_trailing_and_start_at_pure_noise():
    sampler, _ = make("cosine", "v")
    sampler.set_timesteps(10)
    assert sampler.timesteps == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]
    assert sampler.previous_timestep(99) == -1
    sampler.set_timesteps(1000)
    assert sampler.timesteps == list(range(999, -1, -1))
    with pytest.raises(ValueError, match="between 1 and 1000"):
        sampler.set_timesteps(0)


@pytest.mark.parametrize(
    ("schedule", "kind", "cls", "eta"),
    [
        ("cosine", "v", sampling.DDIMSampler, 0.0),
        ("linear", "noise", sampling.DDIMSampler, 0.0),
        ("cosine", "v", sampling.DDIMSampler, 1.0),
        ("linear", "noise", sampling.DDPMSampler, 1.0),
        ("cosine", "v", sampling.DDPMSampler, 1.0),
    ],
)
def test_the_ideal_network_samples_the_data_distribution(schedule, kind, cls, eta):
    sampler, predict = make(schedule, kind, cls)
    sampler.set_timesteps(1000)
    generator = torch.Generator().manual_seed(0)
    start = torch.randn(20_000, 1, 2, 2, generator=generator)
    out = sampling.run_sampler(sampler, predict, start, eta=eta, generator=generator)
    assert float(out.mean()) == pytest.approx(MEAN, abs=0.005)
    assert float(out.std()) == pytest.approx(STD, abs=0.005)


def test_fewer_deterministic_steps_narrow_the_samples_a_little():
    # The price of few steps (DDIM's discretisation): the spread comes out slightly low and
    # approaches the data's as the steps grow; the mean is right at any count.
    spreads = []
    for steps in (10, 50, 200):
        sampler, predict = make("cosine", "v")
        sampler.set_timesteps(steps)
        start = torch.randn(20_000, 1, 2, 2, generator=torch.Generator().manual_seed(0))
        out = sampling.run_sampler(sampler, predict, start)
        assert float(out.mean()) == pytest.approx(MEAN, abs=0.005)
        spreads.append(float(out.std()))
    assert spreads[0] < spreads[1] < spreads[2] < STD
    assert spreads[1] > 0.95 * STD


def test_a_wrong_network_is_caught_by_the_same_measure():
    # The check above can fail: a predictor that believes the data has twice the spread
    # produces samples with twice the spread.
    sampler, _ = make("cosine", "v")
    alphas = sampler.alphas_cumprod

    def too_wide(sample, t):
        a = alphas[t]
        wide = 2 * STD
        clean = MEAN + a.sqrt() * wide**2 * (sample - a.sqrt() * MEAN) / (a * wide**2 + 1 - a)
        noise = (sample - a.sqrt() * clean) / (1 - a).sqrt()
        return a.sqrt() * noise - (1 - a).sqrt() * clean

    sampler.set_timesteps(1000)
    out = sampling.run_sampler(sampler, too_wide, torch.randn(20_000, 1, 2, 2))
    assert float(out.std()) == pytest.approx(2 * STD, abs=0.01)


def test_ddim_with_eta_zero_is_deterministic_and_eta_one_follows_its_generator():
    sampler, predict = make("cosine", "v")
    sampler.set_timesteps(20)
    start = torch.randn(64, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    first = sampling.run_sampler(sampler, predict, start.clone())
    assert torch.equal(first, sampling.run_sampler(sampler, predict, start.clone()))

    def noisy(seed):
        generator = torch.Generator().manual_seed(seed)
        return sampling.run_sampler(sampler, predict, start.clone(), eta=1.0, generator=generator)

    assert torch.equal(noisy(5), noisy(5))
    assert not torch.allclose(noisy(5), noisy(6))
    assert not torch.allclose(noisy(5), first)


def test_ddpm_with_every_step_is_ddim_with_eta_one():
    # Both are DDPM's posterior: the same mean and variance, so the same draws.
    ddpm, predict = make("linear", "noise", sampling.DDPMSampler)
    ddim, _ = make("linear", "noise")
    start = torch.randn(16, 1, 3, 3, generator=torch.Generator().manual_seed(2))
    results = []
    for sampler in (ddpm, ddim):
        sampler.set_timesteps(25)
        generator = torch.Generator().manual_seed(3)
        results.append(sampling.run_sampler(sampler, predict, start.clone(), eta=1.0,
                                            generator=generator))  # fmt: skip
    torch.testing.assert_close(results[0], results[1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("schedule", "kind"), [("cosine", "v"), ("linear", "noise")])
def test_inversion_then_regeneration_returns_the_image(schedule, kind):
    generator = torch.Generator().manual_seed(4)
    clean = MEAN + STD * torch.randn(256, 1, 4, 4, generator=generator)
    errors = []
    for steps in (50, 250):
        sampler, predict = make(schedule, kind)
        sampler.set_timesteps(steps)
        noise = sampling.run_inversion(sampler, predict, clean)
        assert float(noise.std()) == pytest.approx(1.0, abs=0.05)  # noise, not the image
        again = sampling.run_sampler(sampler, predict, noise)
        errors.append(float((again - clean).abs().mean()))
    # Pixels span [-1, 1]: 50 steps come back within 1.5 % of that on average, and the
    # remaining error is inversion's one-step approximation, which more steps shrink.
    assert errors[0] < 0.03 and errors[1] < errors[0] / 3


def test_sampling_asks_to_cancel_before_every_network_pass():
    sampler, predict = make("cosine", "v")
    sampler.set_timesteps(10)
    passes = []

    def counting(sample, t):
        passes.append(t)
        return predict(sample, t)

    with pytest.raises(sampling.SamplingCancelled):
        sampling.run_sampler(sampler, counting, torch.randn(2, 1, 2, 2),
                             cancel=lambda: len(passes) >= 3)  # fmt: skip
    assert passes == [999, 899, 799]
    passes.clear()
    with pytest.raises(sampling.SamplingCancelled):
        sampling.run_inversion(sampler, counting, torch.zeros(2, 1, 2, 2), cancel=lambda: True)
    assert passes == []
    seen = []
    sampling.run_sampler(sampler, predict, torch.randn(2, 1, 2, 2),
                         progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen == [(i, 10) for i in range(1, 11)]
