"""The latent explorer's maths on real (untrained, tiny) models: end points decode to the end
images, per-dimension KL, class means, traversals and planes."""

from __future__ import annotations

import torch

from models.analysis.latent_map import (
    TRAVERSAL_VALUES,
    add_difference,
    class_means,
    dimension_kl,
    explained_variance,
    order_by_kl,
    plane_grid,
    seed_latent,
    traversal,
)
from models.analysis.latent_paths import corner_grid, path, pca_plane, unproject
from models.kinds.base import DataInfo
from models.kinds.gan import DCGAN, DCGANConfig
from models.kinds.vae import VAE, VAEConfig, vae_terms

DIGITS = DataInfo((1, 28, 28), tuple(str(i) for i in range(10)))


def tiny_vae() -> VAE:
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=6, width=4, hidden=16), DIGITS, torch.device("cpu"))
    model.train_mode(False)
    return model


def test_end_points_of_every_path_decode_to_the_end_images():
    torch.manual_seed(1)
    for model in (tiny_vae(), DCGAN(DCGANConfig(latent_dim=8, width=8), DIGITS, "cpu")):
        model.train_mode(False)
        a, b = seed_latent(model, 1), seed_latent(model, 2)
        ends = model.decode(torch.stack([a, b]))
        for kind in ("lerp", "slerp"):
            images = model.decode(path(a, b, 7, kind))
            torch.testing.assert_close(images[0], ends[0], atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(images[-1], ends[1], atol=1e-5, rtol=1e-5)
        corners = torch.stack([seed_latent(model, s) for s in range(4)])
        grid = model.decode(corner_grid(*corners, size=4))
        torch.testing.assert_close(grid[[0, 3, 12, 15]], model.decode(corners), atol=1e-5,
                                   rtol=1e-5)  # fmt: skip


def test_a_seed_always_stands_for_the_same_latent():
    model = tiny_vae()
    torch.testing.assert_close(seed_latent(model, 7), seed_latent(model, 7))
    assert not torch.equal(seed_latent(model, 7), seed_latent(model, 8))
    assert seed_latent(model, 7).shape == (model.latent_dim,)


def test_dimension_kl_sums_to_the_vae_kl_and_orders_the_dimensions():
    model = tiny_vae()
    images = torch.rand(32, 1, 28, 28)
    mu, logvar = model.encode_distribution(images)
    per_dim = dimension_kl(mu, logvar)
    torch.manual_seed(0)
    _, kl_sum, _ = vae_terms(model.net, images)
    torch.testing.assert_close(per_dim.sum() * 32, kl_sum, rtol=1e-4, atol=1e-4)

    kl = torch.tensor([0.5, 0.0, 2.0, 0.001, 1.0])
    order, unused = order_by_kl(kl)
    assert order == [2, 4, 0, 3, 1]
    assert unused == [False, False, False, True, True]
    # A dimension at the prior (mu 0, var 1) costs nothing.
    assert dimension_kl(torch.zeros(4, 2), torch.zeros(4, 2)).abs().max() < 1e-7


def test_class_means_and_arithmetic():
    latents = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    labels = torch.tensor([0, 0, 2])
    means, counts = class_means(latents, labels, 3)
    torch.testing.assert_close(means, torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, 4.0]]))
    assert counts.tolist() == [2, 0, 1]
    point = torch.tensor([1.0, 1.0])
    torch.testing.assert_close(add_difference(point, means, 2, 0, 0.5), torch.tensor([0.0, 3.0]))
    torch.testing.assert_close(add_difference(point, means, 2, 0, 0.0), point)


def test_traversal_sets_one_dimension_per_row():
    base = torch.arange(5.0)
    grid = traversal(base, [3, 1])
    columns = len(TRAVERSAL_VALUES)
    assert grid.shape == (2 * columns, 5)
    assert grid[:columns, 3].tolist() == list(TRAVERSAL_VALUES)
    assert grid[columns:, 1].tolist() == list(TRAVERSAL_VALUES)
    # Everything else stays where the base point is.
    torch.testing.assert_close(grid[:columns, [0, 1, 2, 4]], base[[0, 1, 2, 4]].expand(columns, 4))


def test_plane_grid_covers_the_extent_top_row_first():
    cloud = torch.randn(200, 5) * torch.tensor([4.0, 2.0, 0.1, 0.1, 0.1])
    mean, axes = pca_plane(cloud)
    grid = plane_grid(mean, axes, (-1.0, -2.0, 3.0, 4.0), 3)
    expected_top_left = unproject(torch.tensor([[-1.0, 4.0]]), mean, axes)[0]
    expected_bottom_right = unproject(torch.tensor([[3.0, -2.0]]), mean, axes)[0]
    torch.testing.assert_close(grid[0], expected_top_left)
    torch.testing.assert_close(grid[-1], expected_bottom_right)
    shares = explained_variance(cloud, axes)
    assert shares[0] > shares[1] > 0 and sum(shares) <= 1.0 + 1e-6
    assert sum(shares) > 0.95  # two strong directions hold nearly all the spread
