import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from models.analysis.latent_paths import (
    corner_grid,
    lerp,
    path,
    pca_plane,
    project,
    slerp,
    unproject,
)

vectors = st.integers(min_value=0, max_value=10_000).map(
    lambda seed: torch.randn(2, 16, generator=torch.Generator().manual_seed(seed))
)


@given(vectors, st.integers(min_value=2, max_value=64))
@settings(max_examples=50, deadline=None)
def test_slerp_ends_at_the_end_points_and_interpolates_the_norm(pair, steps):
    a, b = pair
    points = slerp(a, b, steps)
    assert points.shape == (steps, 16)
    torch.testing.assert_close(points[0], a, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(points[-1], b, atol=1e-5, rtol=1e-5)
    expected = torch.lerp(a.norm(), b.norm(), torch.linspace(0, 1, steps))
    torch.testing.assert_close(points.norm(dim=1), expected, atol=1e-4, rtol=1e-4)


def test_slerp_keeps_the_norm_between_equal_norm_points():
    a = torch.tensor([3.0, 0.0])
    b = torch.tensor([0.0, 3.0])
    torch.testing.assert_close(slerp(a, b, 9).norm(dim=1), torch.full((9,), 3.0))
    # A straight line dips towards the origin in between.
    assert lerp(a, b, 9).norm(dim=1)[4] < 2.2


def test_path_refuses_unknown_kinds():
    a = torch.zeros(3)
    try:
        path(a, a, 3, "cubic")
    except ValueError as exc:
        assert "lerp or slerp" in str(exc)
    else:
        raise AssertionError("an unknown path kind was accepted")


def test_corner_grid_corners_are_the_corners():
    corners = torch.randn(4, 8)
    grid = corner_grid(*corners, size=5).view(5, 5, 8)
    torch.testing.assert_close(grid[0, 0], corners[0])
    torch.testing.assert_close(grid[0, -1], corners[1])
    torch.testing.assert_close(grid[-1, 0], corners[2])
    torch.testing.assert_close(grid[-1, -1], corners[3])
    torch.testing.assert_close(grid[2, 2], corners.mean(0))


def test_pca_plane_axes_are_orthonormal_and_follow_the_spread():
    generator = torch.Generator().manual_seed(0)
    cloud = torch.randn(500, 6, generator=generator) * torch.tensor([10.0, 5.0, 1, 1, 1, 1])
    mean, axes = pca_plane(cloud)
    torch.testing.assert_close(axes @ axes.T, torch.eye(2), atol=1e-5, rtol=0)
    assert abs(axes[0, 0]) > 0.99 and abs(axes[1, 1]) > 0.99
    points = project(cloud, mean, axes)
    assert points.shape == (500, 2)
    back = unproject(points, mean, axes)
    torch.testing.assert_close(project(back, mean, axes), points, atol=1e-4, rtol=1e-4)
