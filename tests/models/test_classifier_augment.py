"""Augmentation of the classifier kinds: crop and flip keep shapes, flips happen only where the
data's flips keep the label, cutout blanks one square per image."""

import pytest
import torch

from models.data.augment import cutout, random_shift
from models.kinds.base import Batch, DataInfo
from models.kinds.registry import model_class

PLAIN = {"max_rotation": 0.0, "max_scale": 0.0, "max_shear": 0.0, "max_shift": 0, "cutout": 0}


def asymmetric(n=64, channels=3, size=16):
    """Images whose left half is bright and right half dark: a mirror image is easy to spot."""
    images = torch.zeros(n, channels, size, size)
    images[..., : size // 2] = 1.0
    return images


def test_cutout_blanks_one_clipped_square_per_image_with_the_fill():
    torch.manual_seed(0)
    images = torch.ones(200, 3, 12, 12)
    cut = cutout(images, 4, fill=0.5)
    assert cut.shape == images.shape
    blanked = (cut == 0.5).all(1).sum((1, 2))  # pixels blanked in every channel
    assert blanked.max() == 16 and blanked.min() >= 4  # a whole square, or its corner at an edge
    assert (blanked < 16).any()  # squares are clipped at the edges, not moved inside
    assert ((cut == 0.5) | (cut == 1.0)).all()


def test_crop_with_padding_and_flip_keep_the_shape_and_mirror_some_images():
    torch.manual_seed(0)
    images = asymmetric()
    flipped = random_shift(images, 0, flip=True)
    assert flipped.shape == images.shape
    mirrored = (flipped[:, 0, 0, -1] == 1.0).float().mean()
    assert 0.3 < mirrored < 0.7
    cropped = random_shift(asymmetric(), 4, flip=False)
    assert cropped.shape == images.shape
    assert not torch.equal(cropped, images)


@pytest.mark.parametrize("kind", ["cnn", "resnet18", "vit"])
@pytest.mark.parametrize("flips_keep_label", [False, True])
def test_a_classifier_flips_only_data_whose_flips_keep_the_label(kind, flips_keep_label):
    torch.manual_seed(0)
    cls = model_class(kind)
    small = {"width": 4} if kind != "vit" else {"dim": 16, "depth": 1, "heads": 2}
    config = cls.config_class(**PLAIN, **small)
    data = DataInfo((3, 16, 16), tuple("ab"), flips_keep_label=flips_keep_label)
    model = cls(config, data, torch.device("cpu"))
    model.prepare(10)
    images = asymmetric()
    seen = model._augment(images)
    assert seen.shape == images.shape
    mirrored = int((seen[:, 0, 0, -1] == 1.0).sum())
    if flips_keep_label:
        assert 10 < mirrored < 54
    else:
        assert mirrored == 0 and torch.equal(seen, images)


def test_the_resnet_crops_photos_with_4_pixels_of_padding_by_default(monkeypatch):
    from models.kinds import classifier

    calls = []

    def recording(images, max_shift, flip=False, fill=0.0):
        calls.append((max_shift, flip))
        return images

    monkeypatch.setattr(classifier, "random_shift", recording)
    cls = model_class("resnet18")
    photos = DataInfo((3, 32, 32), tuple("ab"), flips_keep_label=True)
    model = cls(cls.config_class(width=4), photos, torch.device("cpu"))
    model.prepare(4)
    model.train_step(Batch(torch.rand(4, 3, 32, 32), torch.tensor([0, 1, 0, 1])))
    assert calls == [(4, True)]


def test_cutout_is_applied_in_training_when_set(monkeypatch):
    from models.kinds import classifier

    sizes = []

    def recording(images, size, fill):
        sizes.append(size)
        return images

    monkeypatch.setattr(classifier, "cutout", recording)
    cls = model_class("resnet18")
    data = DataInfo((3, 16, 16), tuple("ab"), flips_keep_label=True)
    model = cls(cls.config_class(width=4, cutout=6), data, torch.device("cpu"))
    model.prepare(2)
    model.train_step(Batch(torch.rand(4, 3, 16, 16), torch.tensor([0, 1, 0, 1])))
    model.train_mode(False)
    model.evaluate([Batch(torch.rand(4, 3, 16, 16), torch.tensor([0, 1, 0, 1]))])
    assert sizes == [6]  # training images only
