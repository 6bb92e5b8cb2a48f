"""`make screenshots`: a real run through the Train panel, then pictures of each part."""

from __future__ import annotations

from PIL import Image, ImageStat
from studio_helpers import TINY

from studio.screenshots import SHOTS, Plan, render

# Enough to draw curves and save a grid or two; the README's pictures use the default plan.
TINY_PLAN = Plan(
    encoder_hyperparameters=dict(TINY),
    encoder_epochs=1,
    generator_hyperparameters={"batch_size": 64, "width": 4, "latent_dim": 8},
    generator_epochs=1,
    classifier_hyperparameters={"batch_size": 64, "width": 4, "learning_rate": 0.1},
    classifier_epochs=1,
    sample_every=35,
    timeout=600.0,
)


def test_render_writes_every_screenshot_with_content(qapp, tmp_path, runs_dir):
    # render() waits for each page to show its work (a strip, a map, classified rows, the
    # nearest training images) and raises when one never does.
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
        assert whole.size == (1280, 720)
    # Every run went to the isolated runs folder, and each finished.
    kinds = sorted(p.name.split("-")[2] for p in runs_dir.iterdir())
    assert kinds == ["cnn", "dcgan", "vae"]


def test_the_classify_page_shows_every_digit_file(qapp, tmp_path):
    from studio.screenshots import DIGIT_FILES, write_digit_files

    paths = write_digit_files(tmp_path)
    assert [p.name for p in paths] == [name for name, _, _ in DIGIT_FILES]
    for path, (_, digit, style) in zip(paths, DIGIT_FILES, strict=True):
        if digit is None:
            assert path.stat().st_size == 0
            continue
        with Image.open(path) as image:
            # Ink and paper both present: no file is blank.
            low, high = image.convert("L").getextrema()
            assert high - low > 100, (path.name, low, high)
            assert (image.mode == "RGB") == (style == "colour")
