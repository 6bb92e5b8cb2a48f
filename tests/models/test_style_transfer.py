"""Style transfer on the offline network: losses fall, the network is named, pause and stop are
honoured between iterations, and results are written atomically."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from models.style import networks, vgg_features
from models.style.edges import edge_correlation
from models.style.losses import gram
from models.style.pictures import save_picture
from models.style.synthetic import synthetic_painting, synthetic_photo
from models.style.transfer import (
    StyleFinished,
    StyleSettings,
    StyleStarted,
    StyleStep,
    StyleTransfer,
    fit_size,
)

TINY = dict(size=48, image_every=2, network="auto")


@pytest.fixture(autouse=True)
def _no_cached_vgg(tmp_path, monkeypatch):
    """An empty torch hub cache: the machine's own downloads never choose the network."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))


@pytest.fixture(scope="module")
def pictures():
    return synthetic_photo(64), synthetic_painting(64, strokes=150)


def run_all(job):
    return list(job.run())


def test_gram_matrix_is_channel_correlation():
    features = torch.tensor([[[[1.0, 2.0]], [[0.0, 3.0]]]])  # (1, 2, 1, 2)
    assert torch.allclose(gram(features), torch.tensor([[[2.5, 3.0], [3.0, 4.5]]]))


def test_offline_the_random_network_is_chosen_and_named(pictures):
    reports = run_all(StyleTransfer(*pictures, StyleSettings(steps=2, **TINY)))
    started, finished = reports[0], reports[-1]
    assert isinstance(started, StyleStarted) and started.network == networks.RANDOM
    assert "random" in started.network_title and "offline" in started.network_title
    assert finished.network_title == started.network_title


def test_a_vgg_without_weights_is_refused_with_a_reason(pictures):
    job = StyleTransfer(*pictures, StyleSettings(steps=2, size=48, network="vgg19"))
    with pytest.raises(vgg_features.WeightsError, match="not on this machine"):
        run_all(job)


def vgg_state(name: str) -> dict[str, torch.Tensor]:
    """Weights shaped like torchvision's VGG (its convolutional part, as the job reads)."""
    from torchvision.models.vgg import cfgs, make_layers

    layers = make_layers(cfgs[vgg_features.CONFIGS[name]])
    return {f"features.{key}": value for key, value in layers.state_dict().items()}


def test_cached_vgg_weights_are_preferred():
    path = vgg_features.cached_weights_path("vgg16")
    path.parent.mkdir(parents=True)
    torch.save(vgg_state("vgg16"), path)
    chosen = networks.feature_network("auto")
    assert chosen.name == "vgg16" and "VGG-16" in chosen.title
    features = chosen.module(torch.rand(1, 3, 32, 32))
    assert set(features) >= set(vgg_features.STYLE_LAYERS) | {vgg_features.CONTENT_LAYER}


def test_a_chosen_weights_file_is_used_and_named(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "my-vgg19.safetensors"
    save_file(vgg_state("vgg19"), str(path))
    chosen = networks.feature_network("vgg19", weights_file=path)
    assert chosen.name == "vgg19" and chosen.title.endswith("from my-vgg19.safetensors")
    with pytest.raises(vgg_features.WeightsError, match="does not fit a VGG-16"):
        networks.feature_network("vgg16", weights_file=path)


def test_an_offline_download_is_one_clear_line(monkeypatch):
    import urllib.request

    def offline(*_args, **_kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(vgg_features.WeightsError, match="could not download the VGG-19"):
        networks.feature_network("vgg19", download=True)
    assert not vgg_features.cached_weights_path("vgg19").exists()


def test_a_weights_file_that_would_run_code_is_refused(tmp_path):
    import pickle

    path = tmp_path / "weights.pth"
    path.write_bytes(pickle.dumps({"features.0.weight": object()}))
    unsafe = "not a weights file that can be read safely"
    with pytest.raises(vgg_features.WeightsError, match=unsafe):
        networks.feature_network("vgg19", weights_file=path)


def test_losses_fall_and_the_result_keeps_the_content_edges(pictures):
    content, style = pictures
    reports = run_all(StyleTransfer(content, style, StyleSettings(steps=30, **TINY)))
    steps = [r for r in reports if isinstance(r, StyleStep)]
    finished = reports[-1]
    assert isinstance(finished, StyleFinished) and finished.state == "completed"
    assert [r.step for r in steps] == list(range(1, 31))
    assert finished.style_loss < finished.first_style_loss / 5
    assert steps[-1].total_loss < steps[0].total_loss
    # Images come every `image_every` steps, in the result's size.
    assert [r.step for r in steps if r.image is not None] == list(range(2, 31, 2))
    assert finished.image.shape == (48, 48, 3) and finished.image.dtype == np.uint8
    assert not np.array_equal(finished.image, reports[0].content)
    assert edge_correlation(reports[0].content, finished.image, 2) > 2 * abs(
        edge_correlation(reports[0].content, reports[0].style, 2)
    )


def test_strength_zero_keeps_the_photo(pictures):
    reports = run_all(StyleTransfer(*pictures, StyleSettings(steps=3, strength=0.0, **TINY)))
    assert np.abs(reports[-1].image.astype(int) - reports[0].content.astype(int)).max() <= 1


def test_stop_ends_the_job_between_iterations(pictures):
    job = StyleTransfer(*pictures, StyleSettings(steps=50, **TINY))
    seen = []
    for report in job.run():
        seen.append(report)
        if isinstance(report, StyleStep) and report.step == 3:
            job.stop()
    finished = seen[-1]
    assert isinstance(finished, StyleFinished) and finished.state == "stopped"
    assert finished.steps_done == 3
    assert [r.step for r in seen if isinstance(r, StyleStep)] == [1, 2, 3]


def test_pause_holds_the_job_until_resumed(pictures):
    job = StyleTransfer(*pictures, StyleSettings(steps=4, **TINY))
    reports = job.run()
    assert isinstance(next(reports), StyleStarted)
    job.pause()
    got = []
    thread = threading.Thread(target=lambda: got.append(next(reports)), daemon=True)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive() and not got  # paused: no iteration runs
    job.resume()
    thread.join(30)
    assert isinstance(got[0], StyleStep) and got[0].step == 1
    rest = list(reports)
    assert rest[-1].state == "completed" and rest[-1].steps_done == 4


def test_a_paused_job_can_be_stopped(pictures):
    job = StyleTransfer(*pictures, StyleSettings(steps=4, **TINY))
    job.pause()
    job.stop()
    reports = run_all(job)
    assert reports[-1].state == "stopped" and reports[-1].steps_done == 0


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(steps=0), "steps"),
        (dict(size=8), "size"),
        (dict(strength=-1.0), "strength"),
        (dict(network="alexnet"), "network"),
    ],
)
def test_bad_settings_get_one_line(pictures, settings, message):
    with pytest.raises(ValueError, match=message):
        StyleTransfer(*pictures, StyleSettings(**settings))


def test_sizes_keep_proportions_in_multiples_of_eight():
    assert fit_size(640, 480, 256) == (256, 192)
    assert fit_size(100, 1000, 64) == (8, 64)


def test_saving_is_atomic_and_refuses_unknown_suffixes(tmp_path, pictures):
    from PIL import Image

    target = tmp_path / "out.png"
    save_picture(target, pictures[0])
    assert np.array_equal(np.array(Image.open(target)), pictures[0])
    with pytest.raises(ValueError, match=r"use \.png"):
        save_picture(tmp_path / "out.xyz", pictures[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_the_command_line_names_the_network_and_writes_the_result(tmp_path, capsys, pictures):
    from PIL import Image

    from studio.cli.main import main

    content, style, out = tmp_path / "photo.png", tmp_path / "painting.png", tmp_path / "o.png"
    save_picture(content, pictures[0])
    save_picture(style, pictures[1])
    assert main(["stylize", str(content), str(style), "-o", str(out), "--steps", "12",
                 "--size", "40", "--strength", "2"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "feature network: random multi-scale network" in err
    assert "completed after 12 iterations" in err and "style loss" in err
    assert Image.open(out).size == (40, 40)


def test_the_command_line_says_which_picture_is_bad_in_one_line(tmp_path, capsys, pictures):
    from studio.cli.main import main

    content = tmp_path / "photo.png"
    save_picture(content, pictures[0])
    (tmp_path / "broken.png").write_bytes(b"not an image")
    args = ["stylize", str(content), str(tmp_path / "broken.png"), "-o", str(tmp_path / "o.png")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("image-studio: error: the style picture") and "\n" not in err
    assert main(["stylize", str(content), str(content), "-o", str(tmp_path / "o.txt")]) == 1
    assert "give a file name ending in .png" in capsys.readouterr().err
    assert main(["stylize", str(content), str(content), "-o", str(tmp_path / "o.png"),
                 "--steps", "0"]) == 1  # fmt: skip
    assert "steps must be between" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()
