"""`make screenshots`: a real run through the Train panel, then pictures of each part."""

from __future__ import annotations

from PIL import Image, ImageStat
from studio_helpers import TINY

from studio.screenshots import SHOTS, Plan, render

# Enough to draw curves and save a grid or two; the README's pictures use the default plan.
TINY_PLAN = Plan(
    vae_hyperparameters=dict(TINY),
    vae_epochs=1,
    dcgan_hyperparameters={"batch_size": 64, "width": 4, "latent_dim": 8},
    dcgan_epochs=1,
    sample_every=35,
    timeout=600.0,
)


def test_render_writes_every_screenshot_with_content(qapp, tmp_path, runs_dir):
    written = render(tmp_path / "docs", TINY_PLAN)

    assert [path.name for path in written] == list(SHOTS)
    for path in written:
        assert path.is_file(), path
        assert path.stat().st_size > 2_000, f"{path.name} is nearly empty"
        with Image.open(path) as image:
            assert image.width > 100 and image.height > 100, (path.name, image.size)
            spread = ImageStat.Stat(image.convert("L")).var[0]
        assert spread > 10, f"{path.name} is a single colour (variance {spread:.1f})"
    with Image.open(written[0]) as whole:
        assert whole.size == (1280, 820)
    # Both runs went to the isolated runs folder, and both finished.
    assert sorted(p.name.split("-")[2] for p in runs_dir.iterdir()) == ["dcgan", "vae"]
