"""The quality measures on constructed data whose answers are known."""

import math

import pytest
import torch

from models.analysis.quality.classes import class_shares, within_class_spread
from models.analysis.quality.frechet import frechet_distance, frechet_from_statistics
from models.analysis.quality.kernel_distance import kernel_distance
from models.analysis.quality.manifold import precision_recall


def gaussian(n, d, seed, shift=0.0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g) * scale + shift


def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = gaussian(500, 8, 0)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_known_gaussians():
    d = 4
    eye = torch.eye(d, dtype=torch.float64)
    shift = torch.tensor([1.0, 2.0, 0.0, -2.0], dtype=torch.float64)
    # Same covariance: the squared distance of the means.
    assert frechet_from_statistics(torch.zeros(d), eye, shift, eye) == pytest.approx(9.0)
    # Isotropic scales a and b: d (a - b)^2.
    assert frechet_from_statistics(torch.zeros(d), eye, torch.zeros(d), 9 * eye) == pytest.approx(
        d * (1 - 3) ** 2
    )
    # Non-commuting covariances: tr(A) + tr(B) - 2 tr((A^1/2 B A^1/2)^1/2), against a 2 x 2
    # closed form: tr(sqrt(M)) = sqrt(tr M + 2 sqrt(det M)).
    a = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    b = torch.tensor([[1.0, -0.3], [-0.3, 3.0]], dtype=torch.float64)
    m = a @ b  # same eigenvalues as A^1/2 B A^1/2
    root_trace = math.sqrt(float(m.trace()) + 2 * math.sqrt(float(torch.linalg.det(m))))
    expected = float(a.trace() + b.trace()) - 2 * root_trace
    assert frechet_from_statistics(torch.zeros(2), a, torch.zeros(2), b) == pytest.approx(expected)


def test_frechet_distance_from_samples_of_a_shifted_gaussian():
    real = gaussian(20_000, 3, 1)
    fake = gaussian(20_000, 3, 2, shift=torch.tensor([2.0, 0.0, 0.0]))
    assert frechet_distance(real, fake) == pytest.approx(4.0, abs=0.15)
    assert frechet_distance(real, gaussian(20_000, 3, 3)) < 0.05


def test_kernel_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    real = gaussian(600, 16, 4)
    same, same_std = kernel_distance(real, gaussian(600, 16, 5), subsets=10, subset_size=200)
    far, far_std = kernel_distance(real, gaussian(600, 16, 6, shift=1.0), subsets=10,
                                   subset_size=200)  # fmt: skip
    # Unbiased: for one distribution the mean lies within a few standard deviations of 0.
    assert abs(same) < 4 * same_std + 1e-3
    assert far > 0.5 and far > 20 * same_std
    assert same_std > 0 and far_std > 0


def test_kernel_distance_needs_two_rows():
    with pytest.raises(ValueError):
        kernel_distance(gaussian(1, 4, 0), gaussian(5, 4, 1))


def test_identical_sets_have_precision_and_recall_one():
    x = gaussian(300, 10, 7)
    assert precision_recall(x, x.clone()) == (1.0, 1.0)


def test_a_collapsed_set_has_high_precision_and_low_recall():
    real = gaussian(500, 10, 8)
    # Twenty real points, each copied many times with a whisper of noise: on the manifold,
    # but covering a small part of it.
    collapsed = real[:20].repeat(25, 1) + 1e-3 * gaussian(500, 10, 9)
    precision, recall = precision_recall(real, collapsed)
    assert precision > 0.95
    assert recall < 0.2
    # Points far from every real one are outside its manifold.
    precision, _ = precision_recall(real, gaussian(500, 10, 10, shift=20.0))
    assert precision == 0.0


def test_class_shares_of_a_balanced_and_of_a_collapsed_set():
    balanced = class_shares(torch.arange(100) % 10, 10)
    assert balanced.smallest == balanced.largest == pytest.approx(0.1)
    assert balanced.entropy == pytest.approx(1.0)
    collapsed = class_shares(torch.tensor([3] * 95 + [1] * 5), 10)
    assert collapsed.largest == pytest.approx(0.95) and collapsed.smallest == 0.0
    assert collapsed.shares[3] == pytest.approx(0.95) and sum(collapsed.shares) == pytest.approx(1)
    assert 0 < collapsed.entropy < 0.15
    assert class_shares(torch.zeros(10, dtype=torch.long), 10).entropy == 0.0


def test_within_class_spread_is_near_zero_for_copies_and_one_for_the_data():
    real = gaussian(400, 6, 11)
    labels = torch.arange(400) % 4
    assert within_class_spread(real, labels, gaussian(400, 6, 12), labels) == pytest.approx(
        1.0, abs=0.1
    )
    copies = real[labels == 2][:1].repeat(50, 1)
    spread = within_class_spread(real, labels, copies, torch.full((50,), 2))
    assert spread == pytest.approx(0.0, abs=1e-6)
    assert math.isnan(within_class_spread(real, labels, real[:1], labels[:1]))
