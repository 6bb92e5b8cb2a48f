"""The upscaler: its figures (PSNR, SSIM), its networks, its training and previews, and
enlarging pictures of any size tile by tile without seams."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from PIL import Image

from models.analysis.fidelity import psnr, ssim
from models.inference import upscale as upscaling
from models.kinds.base import Batch, Capability, CapabilityError, DataInfo
from models.kinds.registry import KINDS, model_class
from models.kinds.superres import SuperResolution, SuperResolutionConfig
from models.nets.espcn import SubPixelUpscaler, bicubic_downscale, bicubic_upscale
from models.training.trainer import Trainer, TrainRequest

TINY = {"width": 8, "blocks": 1}


def tiny_model(channels: int = 3, **settings) -> SuperResolution:
    config = SuperResolutionConfig(**{**TINY, **settings})
    return SuperResolution(config, DataInfo((channels, 32, 32)), torch.device("cpu"))


def scrambled(model: SuperResolution, seed: int = 0) -> SuperResolution:
    """Weights far from the bicubic start, so every layer's reach shows in the output."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.net.parameters():
            parameter.add_(0.2 * torch.randn(parameter.shape, generator=generator))
    model.train_mode(False)
    return model


def test_psnr_and_ssim_match_values_worked_out_by_hand():
    grey = torch.full((1, 3, 16, 16), 0.5)
    lighter = torch.full((1, 3, 16, 16), 0.6)
    # MSE 0.01 on a peak of 1: 10 log10(1 / 0.01) = 20 dB.
    assert psnr(grey, lighter).item() == pytest.approx(20.0, abs=1e-4)
    # Flat images: only the luminance term is left, (2 * 0.5 * 0.6 + C1) / (0.25 + 0.36 + C1).
    expected = (0.6 + 1e-4) / (0.61 + 1e-4)
    assert ssim(grey, lighter).item() == pytest.approx(expected, rel=1e-5)
    noisy = (grey + 0.1 * torch.randn(1, 3, 16, 16)).clamp(0, 1)
    assert ssim(noisy, noisy).item() == pytest.approx(1.0, abs=1e-5)
    assert ssim(noisy, grey).item() < 0.5
    assert psnr(grey, grey).item() == 100.0  # an exact copy is capped, not infinite


@pytest.mark.parametrize("factor", [2, 3, 4])
@pytest.mark.parametrize("network", ["espcn", "residual"])
def test_the_networks_enlarge_by_their_factor_and_start_as_bicubic(factor, network):
    for channels in (1, 3):
        net = SubPixelUpscaler(channels, factor, network, width=8, blocks=2)
        small = torch.rand(2, channels, 9, 7)
        out = net(small)
        assert out.shape == (2, channels, 9 * factor, 7 * factor)
        torch.testing.assert_close(out, bicubic_upscale(small, factor))


def test_low_resolution_inputs_are_antialiased_bicubic_reductions():
    stripes = torch.zeros(1, 1, 32, 32)
    stripes[..., ::2] = 1.0  # one-pixel stripes: what a plain subsampling would alias
    small = bicubic_downscale(stripes, 2)
    assert small.shape == (1, 1, 16, 16)
    inside = small[..., 2:-2]  # the filter reaches past the edges of the outer columns
    torch.testing.assert_close(inside, torch.full_like(inside, 0.5), atol=0.01, rtol=0)


def test_crops_have_the_patch_size_cut_to_a_multiple_of_the_factor():
    torch.manual_seed(0)
    model = tiny_model(1, factor=3, patch_size=12)
    assert model._crops(torch.rand(5, 1, 28, 28)).shape == (5, 1, 12, 12)
    whole = tiny_model(1, factor=3, patch_size=64)  # larger than the images: whole images
    assert whole._crops(torch.rand(5, 1, 28, 20)).shape[-2:] in {(27, 18), (18, 27)}


def test_a_few_steps_gain_over_bicubic_and_the_evaluation_says_by_how_much():
    torch.manual_seed(0)
    pattern = torch.linspace(0, 1, 32)
    images = ((pattern[None, :] * 7 + pattern[:, None] * 3) % 1.0).expand(16, 1, 32, 32)
    batch = Batch(images.contiguous())
    model = tiny_model(1, learning_rate=1e-2)
    model.prepare(60)
    model.train_mode(False)
    before = model.evaluate([batch])
    assert before["psnr_gain_db"] == pytest.approx(0.0, abs=1e-4)  # it starts as bicubic
    model.train_mode(True)
    for _ in range(60):
        model.train_step(batch)
    model.train_mode(False)
    after = model.evaluate([batch])
    assert after["psnr_bicubic"] == pytest.approx(before["psnr_bicubic"])
    assert after["psnr_gain_db"] > 0.5
    assert after["psnr_gain_db"] == pytest.approx(after["psnr"] - after["psnr_bicubic"])
    assert after["ssim"] > after["ssim_bicubic"]


def test_the_learning_rate_decays_to_a_tenth_over_the_planned_steps():
    model = tiny_model(1, learning_rate=1e-3)
    model.prepare(20)
    batch = Batch(torch.rand(2, 1, 16, 16))
    rates = [model.train_step(batch)["lr"] for _ in range(20)]
    assert rates[0] == pytest.approx(1e-3) and rates == sorted(rates, reverse=True)
    assert rates[-1] == pytest.approx(1e-4, rel=0.1)  # the rate of the last step, 19 of 20
    resumed = tiny_model(1, learning_rate=1e-3)
    resumed.prepare(20, done_steps=19)
    assert resumed.train_step(batch)["lr"] == pytest.approx(rates[-1])


@pytest.mark.parametrize("kind", list(KINDS))
def test_only_image_to_image_kinds_apply_and_the_others_refuse(kind):
    cls = model_class(kind)
    model = cls(cls.config_class(), DataInfo((1, 28, 28), tuple("ab")), torch.device("cpu"))
    images = torch.rand(2, 1, 10, 12)
    if model.can(Capability.IMAGE_TO_IMAGE):
        out = model.apply(images)
        assert out.shape == (2, 1, 10 * model.factor, 12 * model.factor)
        assert 0 <= float(out.min()) <= float(out.max()) <= 1
    else:
        with pytest.raises(CapabilityError, match="does not turn one image into another"):
            model.apply(images)
        with pytest.raises(CapabilityError):
            upscaling.upscale(model, np.zeros((4, 4, 1), np.uint8))


@pytest.mark.parametrize("network", ["espcn", "residual"])
def test_tiles_join_without_seams(network):
    model = scrambled(tiny_model(3, network=network, blocks=2))
    picture = np.random.default_rng(0).integers(0, 256, (45, 70, 3), dtype=np.uint8)
    whole = upscaling.upscale(model, picture, tile=1000)
    tiled = upscaling.upscale(model, picture, tile=16)
    assert tiled.shape == (90, 140, 3) and tiled.dtype == np.uint8
    assert np.abs(tiled.astype(int) - whole).max() <= 1
    # Without the overlap the tiles' edges would show: the overlap is what hides them.
    model.net.radius = -3  # context 0
    seamed = upscaling.upscale(model, picture, tile=16)
    assert np.abs(seamed.astype(int) - whole).max() > 10


def test_colour_and_grey_pictures_keep_their_channels_with_either_model():
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (12, 10), dtype=np.uint8)
    grey_model = scrambled(tiny_model(1))
    colour_model = scrambled(tiny_model(3))
    for model in (grey_model, colour_model):
        assert upscaling.upscale(model, colour).shape == (24, 20, 3)
        assert upscaling.upscale(model, grey).shape == (24, 20, 1)
    # A grey model on a colour picture enlarges its brightness and keeps its colours: a
    # fresh (bicubic) model gives back bicubic within rounding.
    ramp = np.linspace(40, 200, 10)
    smooth = np.stack([np.add.outer(np.linspace(0, 40, 12), ramp * k) for k in (1.0, 0.5, 0.2)],
                      axis=2).astype(np.uint8)  # fmt: skip
    fresh = tiny_model(1)
    fresh.train_mode(False)
    difference = upscaling.upscale(fresh, smooth).astype(int) - upscaling.bicubic(smooth, 2)
    assert np.abs(difference).max() <= 2


def test_upscaling_stops_between_tiles_when_asked():
    model = tiny_model(1)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(upscaling.UpscaleCancelled):
        upscaling.upscale(model, np.zeros((40, 40), np.uint8), tile=10, should_stop=stop)
    assert len(asked) == 3


def test_files_are_written_and_a_corrupt_one_gets_a_one_line_reason(tmp_path):
    model = scrambled(tiny_model(3))
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(np.full((10, 14, 3), (90, 120, 30), np.uint8)).save(folder / "a.png")
    Image.fromarray(np.full((6, 5), 200, np.uint8)).save(folder / "sub" / "a.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    paths = [folder / "a.png", folder / "broken.png", folder / "sub" / "a.png"]
    results = list(upscaling.upscale_files(model, paths, folder))  # written beside the inputs
    assert [r.path for r in results] == [str(p) for p in paths]
    first, broken, second = results
    assert broken.reason and "\n" not in broken.reason and not broken.output
    assert first.output == str(folder / "a-2.png")  # the input a.png is never written over
    assert second.output == str(folder / "a-3.png")
    assert (first.size, first.output_size) == ((14, 10), (28, 20))
    assert Image.open(folder / "a.png").size == (14, 10)
    assert Image.open(first.output).size == (28, 20) and Image.open(first.output).mode == "RGB"
    assert Image.open(second.output).mode == "L"  # a grey file stays grey


def test_a_short_run_draws_before_after_previews_and_logs_the_gain(tmp_path):
    torch.set_num_threads(2)
    request = TrainRequest(kind="superres", hyperparameters={"batch_size": 256, "width": 8},
                           epochs=1, runs_dir=tmp_path, sample_every=100)  # fmt: skip
    run_dir = None
    for report in Trainer(request).run():
        run_dir = getattr(report, "run_dir", run_dir)
    grids = sorted((tmp_path / run_dir.split("/")[-1] / "samples").glob("step-*.png"))
    assert grids  # the start and the end of the run
    columns, rows = 4, 8  # low-res / bicubic / model / original for eight test images
    assert Image.open(grids[-1]).size == (columns * 30 + 2, rows * 30 + 2)
    lines = (tmp_path / run_dir.split("/")[-1] / "metrics.jsonl").read_text().splitlines()
    evaluation = [json.loads(line) for line in lines if '"split"' in line][-1]
    assert {"psnr", "psnr_bicubic", "ssim", "ssim_bicubic", "psnr_gain_db"} <= set(evaluation)


def test_a_resumed_model_steps_exactly_as_the_uninterrupted_one():
    batch = Batch(torch.rand(4, 3, 20, 20))
    torch.manual_seed(3)
    first = tiny_model(3, patch_size=12)
    first.prepare(6)
    for _ in range(4):
        first.train_step(batch)
    # Copies, as a checkpoint on disk is: the live state goes on changing.
    weights = copy.deepcopy(first.weights())
    optimizer, rng = copy.deepcopy(first.optimizer_state()), torch.get_rng_state()
    for _ in range(2):
        first.train_step(batch)

    resumed = tiny_model(3, patch_size=12)
    resumed.load_weights(weights)
    resumed.prepare(6, done_steps=4)
    resumed.load_optimizer_state(optimizer)
    torch.set_rng_state(rng)  # the training loop restores the generator the crops come from
    for _ in range(2):
        resumed.train_step(batch)
    for name, value in first.weights().items():
        assert torch.equal(value, resumed.weights()[name]), name


def test_an_upscaler_opened_to_enlarge_makes_no_optimizer():
    # A process's first Adam imports torch's compiler, seconds that `apply` need not spend.
    model = tiny_model(1)
    model.apply(torch.rand(1, 1, 8, 8))
    assert model._optimizer is None
    assert isinstance(model.optimizers()["adam"], torch.optim.Adam)
