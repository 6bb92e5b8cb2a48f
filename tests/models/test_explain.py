"""Why a classifier decided: heat maps in [0, 1] at the input's size that land where the
evidence is, for every classifier kind, and `classify --explain` writing them as overlays."""

import numpy as np
import pytest
import torch
from PIL import Image

from models.inference.explain import GRAD_CAM, ROLLOUT, explain, method, overlay, png_bytes
from models.kinds.base import Batch, CapabilityError, DataInfo
from models.kinds.registry import KINDS, model_class
from studio.cli.main import main

CLASSIFIERS = [name for name, cls in KINDS.items() if cls.needs_labels]
SMALL = {
    "cnn": {"width": 4, "max_rotation": 0.0, "max_scale": 0.0, "max_shear": 0.0},
    "resnet18": {"width": 4, "max_shift": 0},
    "vit": {"dim": 32, "depth": 2, "heads": 2, "learning_rate": 3e-3, "max_rotation": 0.0,
            "max_scale": 0.0, "max_shear": 0.0},
}  # fmt: skip
STEPS = {"cnn": 40, "resnet18": 40, "vit": 60}


def small_classifier(kind, shape=(1, 28, 28), classes=("none", "corner")):
    cls = model_class(kind)
    config = cls.config_class(**SMALL.get(kind, {}))
    return cls(config, DataInfo(shape, classes), torch.device("cpu"))


def test_every_classifier_kind_has_an_explanation():
    assert {"cnn", "resnet18", "vit"} <= set(CLASSIFIERS)
    for kind in CLASSIFIERS:
        assert method(small_classifier(kind)) in (GRAD_CAM, ROLLOUT)
    assert method(small_classifier("vit")) == ROLLOUT
    assert method(small_classifier("resnet18")) == GRAD_CAM


def test_a_generative_model_refuses_to_explain():
    cls = model_class("vae")
    model = cls(cls.config_class(), DataInfo((1, 28, 28)), torch.device("cpu"))
    with pytest.raises(CapabilityError, match="cannot show why"):
        explain(model, torch.rand(2, 1, 28, 28))


@pytest.mark.parametrize("kind", CLASSIFIERS)
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_heat_maps_have_the_input_size_and_lie_in_0_1(kind, shape):
    torch.manual_seed(0)
    model = small_classifier(kind, shape)
    model.train_mode(True)
    heat = explain(model, torch.rand(3, *shape))
    assert heat.shape == (3, shape[1], shape[2]) and heat.dtype == np.float32
    assert heat.min() >= 0.0 and heat.max() <= 1.0
    # Each map spans the range, or is blank when an untrained network found no evidence.
    peaks = heat.max(axis=(1, 2))
    assert np.all(np.isclose(peaks, 1.0) | (peaks == 0.0))
    assert model.net.training  # explaining leaves the model in the mode it was in


def corner_images(n, generator, corner):
    """Class 1 has a bright square in `corner`; every image has a distractor square elsewhere,
    so only the corner decides the class."""
    images = torch.rand(n, 1, 28, 28, generator=generator) * 0.2
    labels = torch.randint(0, 2, (n,), generator=generator)
    for i in range(n):
        y, x = torch.randint(10, 16, (2,), generator=generator).tolist()
        images[i, :, y : y + 6, x : x + 6] = 1.0
    square = images[labels == 1]
    if corner == "top-left":
        square[:, :, 1:7, 1:7] = 1.0
    else:
        square[:, :, 21:27, 21:27] = 1.0
    images[labels == 1] = square
    return images, labels


@pytest.mark.parametrize("kind", CLASSIFIERS)
@pytest.mark.parametrize("corner", ["top-left", "bottom-right"])
def test_the_heat_map_lands_on_the_corner_that_decides(kind, corner):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = small_classifier(kind)
    model.prepare(STEPS[kind])
    for _ in range(STEPS[kind]):
        model.train_step(Batch(*corner_images(32, generator, corner)))
    model.train_mode(False)
    images, labels = corner_images(64, generator, corner)
    assert (model.classify(images).argmax(1) == labels).float().mean() > 0.95
    heat = explain(model, images[labels == 1])
    if corner == "bottom-right":
        heat = heat[:, ::-1, ::-1]
    quadrant = heat[:, :14, :14].sum((1, 2)) / heat.sum((1, 2))
    assert quadrant.mean() > 0.4  # a quarter if the map ignored where the evidence is
    inside = heat[:, :8, :8].mean()
    outside = (heat.sum() - heat[:, :8, :8].sum()) / (heat.size - heat[:, :8, :8].size)
    assert inside > 1.5 * outside


def test_an_overlay_keeps_the_image_where_the_map_is_cold_and_colours_it_where_hot():
    pixels = np.full((4, 4, 1), 200, np.uint8)
    heat = np.zeros((4, 4), np.float32)
    heat[0, 0] = 1.0
    blended = overlay(pixels, heat, strength=0.5)
    assert blended.shape == (4, 4, 3) and blended.dtype == np.uint8
    hot, cold = blended[0, 0].astype(int), blended[3, 3].astype(int)
    assert hot[0] > hot[2]  # red where it looked
    assert cold[2] > cold[0]  # blue where it did not
    picture = Image.open(__import__("io").BytesIO(png_bytes(blended, min_size=16)))
    assert picture.size == (16, 16) and picture.mode == "RGB"


def test_classify_explain_writes_one_overlay_per_classified_file(trained_runs, tmp_path, capsys):
    from models.data.datasets import load_mnist_5k

    data = load_mnist_5k()
    for i in range(3):
        Image.fromarray(data.test_images[i * 50, 0].numpy()).save(tmp_path / f"digit{i}.png")
    (tmp_path / "sub").mkdir()
    Image.fromarray(data.test_images[7, 0].numpy()).save(tmp_path / "sub" / "digit0.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "why"
    code = main(["classify", str(trained_runs["cnn"]), str(tmp_path), "--explain", str(out)])
    assert code == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["digit0-2-explained.png", "digit0-explained.png",
                       "digit1-explained.png", "digit2-explained.png"]  # fmt: skip
    picture = np.asarray(Image.open(out / "digit1-explained.png"))
    assert picture.shape == (140, 140, 3)  # 28 x 28 enlarged five times, in colour
    assert len({tuple(c) for c in picture.reshape(-1, 3)}) > 10  # a heat map, not a blank
    assert "wrote 4 Grad-CAM overlays" in capsys.readouterr().err
