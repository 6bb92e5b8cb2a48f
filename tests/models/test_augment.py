"""Augmentations move pixels but keep the batch's shape, and gradients pass through."""

from __future__ import annotations

import torch

from models.augment import random_shift


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
