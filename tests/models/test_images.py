"""The loader for a person's image files: every odd file is either used sensibly or refused
with a one-line reason. The files are written here, in tmp_path, by Pillow."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.data import images
from models.data.datasets import load_mnist_5k
from models.data.images import ImageLoadError, load_image, open_image, to_rgb_or_gray

MNIST = (1, 28, 28)
EXIF_ORIENTATION = 0x0112


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """Bundled test digits as uint8 (N, 28, 28) white-on-black, and their labels."""
    dataset = load_mnist_5k()
    return dataset.test_images[:, 0].numpy(), dataset.test_labels.numpy()


@pytest.fixture
def digit(digits) -> np.ndarray:
    return digits[0][0]


# --- writers for the bad-input set (also used by test_classify.py) ----------------------


def write_bad_files(folder: Path, digit: np.ndarray) -> dict[str, Path]:
    """Files no image model can use, each named for what is wrong with it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}

    files["empty"] = folder / "empty.png"
    files["empty"].write_bytes(b"")

    files["text"] = folder / "notes.png"
    files["text"].write_text("These are my notes, not a picture.\nSecond line.\n")

    buffer = io.BytesIO()
    Image.fromarray(digit).resize((256, 256)).save(buffer, "JPEG", quality=90)
    files["truncated"] = folder / "truncated.jpg"
    files["truncated"].write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])

    # 100 megapixels of 1-bit zeros compress to a few kilobytes: a decompression bomb.
    files["bomb"] = folder / "bomb.png"
    Image.new("1", (10_000, 10_000)).save(files["bomb"], optimize=True)

    # Formats Pillow can read but Image Studio must not open, under an innocent name.
    files["pcx"] = folder / "pcx-in-disguise.png"
    Image.fromarray(digit).convert("RGB").save(files["pcx"], format="PCX")
    files["ico"] = folder / "icon.png"
    Image.fromarray(digit).convert("RGB").save(files["ico"], format="ICO")
    files["eps"] = folder / "drawing.eps"
    Image.fromarray(digit).save(files["eps"], format="EPS")
    return files


def exif_rotated_jpeg(path: Path, upright: np.ndarray) -> Path:
    """Store `upright` turned a quarter left, with EXIF orientation 6 ("turn right to view")."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1))).save(
        path, "JPEG", quality=95, exif=exif
    )
    return path


def write_odd_good_files(folder: Path, digit: np.ndarray) -> dict[str, Path]:
    """The same white-on-black digit in every unusual but valid form the loader must accept.
    Each loads (as grayscale 28x28) to nearly the original digit."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}

    files["16-bit"] = folder / "sixteen-bit.png"
    Image.fromarray(digit.astype(np.uint16) * 257).save(files["16-bit"])

    # Palette image: white ink (index 1) on a transparent background (index 0).
    palette = Image.fromarray((digit > 127).astype(np.uint8), mode="L").convert("P")
    palette.putpalette([0, 0, 0, 255, 255, 255])
    files["palette-transparent"] = folder / "palette.png"
    palette.save(files["palette-transparent"], transparency=0)

    files["cmyk"] = folder / "cmyk.jpg"
    Image.fromarray(digit).convert("CMYK").save(files["cmyk"], "JPEG", quality=95)

    files["exif-rotated"] = exif_rotated_jpeg(folder / "rotated.jpg", digit)

    files["animated"] = folder / "animated.gif"
    first, second = Image.fromarray(digit), Image.fromarray(255 - digit)
    first.save(files["animated"], save_all=True, append_images=[second], duration=100, loop=0)

    files["tiff"] = folder / "digit.tif"
    Image.fromarray(digit).save(files["tiff"])
    files["webp"] = folder / "digit.webp"
    Image.fromarray(digit).save(files["webp"], lossless=True)
    files["bmp"] = folder / "digit.bmp"
    Image.fromarray(digit).save(files["bmp"])
    return files


# --- refusals ---------------------------------------------------------------------------

EXPECTED_REASONS = {
    "empty": "empty file",
    "text": "not an image in a supported format",
    "truncated": "truncated",
    "bomb": "decompression bomb",
    "pcx": "not an image in a supported format",
    "ico": "not an image in a supported format",
    "eps": "not an image in a supported format",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_REASONS))
def test_bad_files_are_refused_with_a_one_line_reason(tmp_path, digit, name):
    path = write_bad_files(tmp_path, digit)[name]
    with pytest.raises(ImageLoadError) as caught:
        load_image(path, MNIST)
    reason = str(caught.value)
    assert EXPECTED_REASONS[name] in reason
    assert "\n" not in reason
    assert len(reason) < 200


def test_an_image_above_the_pixel_limit_is_refused_before_decoding(tmp_path, digit, monkeypatch):
    path = tmp_path / "digit.png"
    Image.fromarray(digit).save(path)
    monkeypatch.setattr(images, "MAX_PIXELS", 28 * 28 - 1)
    with pytest.raises(ImageLoadError, match=r"image too large \(28x28 pixels\)"):
        load_image(path, MNIST)


def test_a_file_over_the_byte_limit_is_refused_unread(tmp_path, digit, monkeypatch):
    path = tmp_path / "digit.png"
    Image.fromarray(digit).save(path)
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 10)
    with pytest.raises(ImageLoadError, match="file too large"):
        load_image(path, MNIST)


def write_special_files(folder: Path) -> dict[str, Path]:
    """Paths with image names that are not files: a FIFO (opening it for reading waits for a
    writer), links to devices that never end, and a link to itself. Also used by test_cli."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: folder / f"{name}.png" for name in ("fifo", "zero", "urandom", "loop")}
    os.mkfifo(files["fifo"])
    files["zero"].symlink_to("/dev/zero")
    files["urandom"].symlink_to("/dev/urandom")
    files["loop"].symlink_to(files["loop"])
    return files


SPECIAL_REASONS = {
    "fifo": "is a FIFO (named pipe), not an image file",
    "zero": "links to /dev/zero, a character device, not an image file",
    "urandom": "links to /dev/urandom, a character device, not an image file",
    "loop": "cannot read file: Too many levels of symbolic links",
}


@pytest.mark.parametrize("name", sorted(SPECIAL_REASONS))
def test_fifos_devices_and_link_loops_are_named_for_what_they_are(tmp_path, name):
    path = write_special_files(tmp_path)[name]
    with pytest.raises(ImageLoadError) as caught:
        load_image(path, MNIST)
    assert str(caught.value) == SPECIAL_REASONS[name]
    for direct in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(ImageLoadError, match="is a character device, not an image file"):
            open_image(direct)


def test_missing_files_and_folders_get_reasons(tmp_path):
    with pytest.raises(ImageLoadError, match="cannot read file"):
        load_image(tmp_path / "nowhere.png", MNIST)
    folder = tmp_path / "looks-like.png"
    folder.mkdir()
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_image(folder, MNIST)


def test_only_well_known_formats_are_allowed():
    assert set(images.ALLOWED_FORMATS) == {"PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"}
    assert images.is_image_path("a/B.PNG") and images.is_image_path("c.tiff")
    assert not images.is_image_path("d.eps") and not images.is_image_path("e.ico")


# --- unusual but valid files ------------------------------------------------------------


def test_lossless_formats_load_exactly(tmp_path, digit):
    files = write_odd_good_files(tmp_path, digit)
    for name in ("16-bit", "tiff", "webp", "bmp"):
        loaded = load_image(files[name], MNIST)
        assert loaded.pixels.shape == (28, 28, 1), name
        assert loaded.pixels.dtype == np.uint8, name
        np.testing.assert_array_equal(loaded.pixels[..., 0], digit, err_msg=name)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path, digit):
    loaded = load_image(write_odd_good_files(tmp_path, digit)["16-bit"], MNIST)
    assert loaded.original_mode.startswith("I")
    assert any("8 bits" in step for step in loaded.steps)
    assert loaded.pixels.max() == digit.max()


def test_palette_transparency_is_flattened_so_the_strokes_stay_visible(tmp_path, digit):
    loaded = load_image(write_odd_good_files(tmp_path, digit)["palette-transparent"], MNIST)
    assert loaded.original_mode == "P"
    assert "flattened transparency" in loaded.steps
    pixels = loaded.pixels[..., 0]
    ink = digit > 127
    # White ink on a transparent background: the background becomes black, not white.
    assert pixels[ink].min() == 255
    assert pixels[~ink].max() == 0


def test_dark_ink_on_transparency_gets_a_white_background(tmp_path, digit):
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = digit  # black ink, opaque only where the digit is
    path = tmp_path / "ink.png"
    Image.fromarray(rgba, "RGBA").save(path)
    loaded = load_image(path, MNIST)
    assert loaded.pixels[0, 0, 0] == 255
    assert loaded.pixels[..., 0][digit == 255].max() == 0


def test_cmyk_jpeg_is_converted(tmp_path, digit):
    loaded = load_image(write_odd_good_files(tmp_path, digit)["cmyk"], MNIST)
    assert loaded.original_mode == "CMYK"
    assert "converted CMYK to RGB" in loaded.steps
    difference = np.abs(loaded.pixels[..., 0].astype(int) - digit.astype(int))
    assert difference.mean() < 8


def test_exif_orientation_is_applied(tmp_path):
    # 20 wide x 10 high, left half white. Orientation 6 means "turn right to view", so the
    # upright picture is 10 wide x 20 high with its top half white.
    stored = np.zeros((10, 20), np.uint8)
    stored[:, :10] = 255
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    path = tmp_path / "photo.jpg"
    Image.fromarray(stored).save(path, "JPEG", quality=95, exif=exif)

    upright = to_rgb_or_gray(open_image(path), 1, steps := [])
    assert upright.size == (10, 20)
    assert any("EXIF orientation" in step for step in steps)

    loaded = load_image(path, (1, 20, 10))  # (C, H, W): no resize needed once upright
    assert not any(step.startswith("resized") for step in loaded.steps)
    pixels = loaded.pixels[..., 0].astype(int)
    assert pixels[:8].mean() > 240
    assert pixels[12:].mean() < 15


def test_exif_rotated_digit_loads_upright(tmp_path, digit):
    loaded = load_image(write_odd_good_files(tmp_path, digit)["exif-rotated"], MNIST)
    upright = np.abs(loaded.pixels[..., 0].astype(int) - digit.astype(int)).mean()
    sideways = np.abs(loaded.pixels[..., 0].astype(int) - np.rot90(digit, 1).astype(int)).mean()
    assert upright < 8 < sideways


def test_animated_gif_uses_its_first_frame(tmp_path, digit):
    loaded = load_image(write_odd_good_files(tmp_path, digit)["animated"], MNIST)
    assert "used the first of 2 frames" in loaded.steps
    np.testing.assert_array_equal(loaded.pixels[..., 0], digit)


def test_floating_point_tiff_in_unit_range(tmp_path, digit):
    path = tmp_path / "float.tif"
    Image.fromarray(digit.astype(np.float32) / 255).save(path)
    loaded = load_image(path, MNIST)
    np.testing.assert_array_equal(loaded.pixels[..., 0], digit)


def test_grayscale_file_for_a_colour_model_is_resized_and_made_rgb(tmp_path, digit):
    path = tmp_path / "digit.png"
    Image.fromarray(digit).save(path)
    loaded = load_image(path, (3, 32, 32))
    assert loaded.pixels.shape == (32, 32, 3)
    assert "resized 28x28 to 32x32" in loaded.steps
    tensor = loaded.tensor()
    assert tensor.shape == (3, 32, 32)
    assert float(tensor.min()) >= 0.0 and float(tensor.max()) <= 1.0


def test_every_odd_file_loads_without_leaking_open_files(tmp_path, digit):
    files = {**write_odd_good_files(tmp_path, digit), **write_bad_files(tmp_path, digit)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for path in files.values():
            with contextlib.suppress(ImageLoadError):
                load_image(path, MNIST)
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []
