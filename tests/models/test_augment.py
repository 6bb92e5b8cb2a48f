"""Augmentations move pixels but keep the batch's shape, and gradients pass through."""

from __future__ import annotations

import torch

from models.data.augment import affine_theta, random_affine, random_shift


def test_shift_moves_content_by_at_most_the_limit_and_fills_the_edge():
    torch.manual_seed(0)
    images = torch.zeros(64, 1, 9, 9)
    images[:, :, 4, 4] = 1.0  # one bright pixel in the centre
    shifted = random_shift(images, 2, fill=-1.0)
    assert shifted.shape == images.shape
    bright = (shifted == 1.0).nonzero()[:, 2:]
    assert len(bright) == 64  # the pixel survives in every image
    assert (bright - 4).abs().max() <= 2
    assert (bright != 4).any()  # and some images really moved
    assert (shifted == -1.0).any()  # the uncovered edge is filled


def test_gradients_flow_through_a_shift():
    images = torch.rand(8, 1, 12, 12, requires_grad=True)
    random_shift(images, 1).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0


def test_an_affine_warp_with_no_limits_leaves_images_as_they_are():
    images = torch.rand(4, 1, 12, 12)
    torch.testing.assert_close(random_affine(images, 0.0, 0.0, 0.0), images)


def moments(images):
    """Second moments (x², y², xy) of each image's ink about the image centre."""
    size = images.shape[-1]
    ys, xs = torch.meshgrid(torch.arange(size) - size // 2, torch.arange(size) - size // 2,
                            indexing="ij")  # fmt: skip
    w = images[:, 0]
    mass = w.sum((1, 2))
    return ((w * xs**2).sum((1, 2)) / mass, (w * ys**2).sum((1, 2)) / mass,
            (w * xs * ys).sum((1, 2)) / mass)  # fmt: skip


def test_an_affine_warp_turns_a_bar_by_at_most_the_limit():
    torch.manual_seed(0)
    images = torch.zeros(256, 1, 29, 29)
    images[:, :, 14, 4:25] = 1.0  # a horizontal bar through the centre
    turned = random_affine(images, 20.0, 0.0, 0.0)
    assert turned.shape == images.shape
    var_x, var_y, cov = moments(turned)
    angles = torch.rad2deg(0.5 * torch.atan2(2 * cov, var_x - var_y)).abs()
    assert angles.max() <= 20.5
    assert angles.max() > 10  # some bars really turned
    ink = turned.sum((1, 2, 3))
    torch.testing.assert_close(ink, images.sum((1, 2, 3)), rtol=0.05, atol=0)  # ink is kept


def test_an_affine_warp_slants_a_vertical_bar_by_at_most_the_limit():
    torch.manual_seed(0)
    images = torch.zeros(256, 1, 29, 29)
    images[:, :, 4:25, 14] = 1.0  # a vertical bar through the centre
    _, var_y, cov = moments(random_affine(images, 0.0, 0.0, 0.3))
    slope = (cov / var_y).abs()  # x moves by slope * y along a slanted bar
    assert slope.max() <= 0.32 and slope.max() > 0.2


def test_an_affine_warp_zooms_by_at_most_the_limit():
    torch.manual_seed(0)
    images = torch.zeros(256, 1, 41, 41)
    images[:, :, 10:31, 20] = 1.0  # 21 pixels tall
    _, var_y, _ = moments(random_affine(images, 0.0, 0.2, 0.0))
    factor = (var_y / moments(images)[1]).sqrt()  # how much longer the bar got
    assert factor.min() >= 0.78 and factor.max() <= 1.22
    assert factor.max() > 1.12 and factor.min() < 0.88


def test_the_warp_is_a_rotation_and_zoom_after_a_shear():
    angle, size, slant = torch.tensor([0.3]), torch.tensor([1.1]), torch.tensor([0.2])
    c, s = torch.cos(angle).item(), torch.sin(angle).item()
    rotation = torch.tensor([[c, -s], [s, c]]) / 1.1
    shear = torch.tensor([[1.0, 0.2], [0.0, 1.0]])
    theta = affine_theta(angle, size, slant)[0]
    torch.testing.assert_close(theta[:, :2], rotation @ shear)
    torch.testing.assert_close(theta[:, 2], torch.zeros(2))  # about the centre


def test_gradients_flow_through_an_affine_warp():
    images = torch.rand(8, 1, 12, 12, requires_grad=True)
    random_affine(images, 10.0, 0.1, 0.1).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
