"""A folder of photos feeds the upscaler squares of its own side (crops of real photo detail),
while the generative kinds still get the 32x32 colour they are built for."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from models.data.datasets import load_dataset
from models.kinds.superres import SuperResolution
from models.runs.folder import Run
from models.training import reports
from models.training import trainer as trainer_module
from models.training.trainer import Trainer, TrainRequest
from tests.models.conftest import train

SIDE = SuperResolution.folder_image_side
SIZES = [(300, 200), (640, 480), (200, 300), (480, 640), (350, 260), (512, 384)] * 2


def photo(size: tuple[int, int], seed: int) -> Image.Image:
    """A smooth colour field with a few shapes: detail at every scale, like a photo."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width] / max(size)
    channels = [np.sin(x * rng.uniform(2, 9) + y * rng.uniform(2, 9) + rng.uniform(0, 6))
                for _ in range(3)]  # fmt: skip
    field = ((np.stack(channels, axis=-1) + 1) * 127.5).astype(np.uint8)
    image = Image.fromarray(field, "RGB")
    draw = ImageDraw.Draw(image)
    shapes = random.Random(seed)
    for _ in range(6):
        x0, y0 = shapes.randrange(width - 20), shapes.randrange(height - 20)
        box = (x0, y0, x0 + shapes.randrange(10, 80), y0 + shapes.randrange(10, 80))
        colour = tuple(shapes.randrange(256) for _ in range(3))
        (draw.ellipse if shapes.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, size in enumerate(SIZES):
        photo(size, i).save(folder / f"photo-{i:02d}.png")
    return folder


def last_grid(run_dir: Path) -> Image.Image:
    grids = sorted((run_dir / "samples").glob("step-*.png"))
    assert grids
    return Image.open(grids[-1])


def test_photos_become_squares_of_the_asked_side_and_a_panorama_gives_several(photos):
    photo((3 * SIDE + 40, SIDE + 10), 99).save(photos / "panorama.png")  # three squares
    data = load_dataset(f"folder:{photos}", folder_side=SIDE)
    assert data.info.image_shape == (3, SIDE, SIDE)
    assert data.num_train + data.num_test == len(SIZES) + 3
    assert f"cut {len(SIZES) + 3} squares of {SIDE}x{SIDE} from {len(SIZES) + 1} images" in (
        data.notes
    )
    # The centre square of a 300x200 photo shrunk by Lanczos to 192x128, not a squashed copy.
    expected = np.asarray(photo((300, 200), 0).resize((192, 128), Image.LANCZOS))[:, 32:160]
    images = torch.cat([data.split("train")[0], data.split("test")[0]])
    images = images.permute(0, 2, 3, 1).numpy()
    assert min(np.abs(img.astype(int) - expected).mean() for img in images) < 2
    # Without a side the same folder still comes at the generative kinds' 32x32.
    assert load_dataset(f"folder:{photos}").info.image_shape == (3, 32, 32)


def test_the_upscaler_trains_on_full_side_photos_and_a_resume_keeps_the_side(
    photos, tmp_path, monkeypatch
):
    torch.set_num_threads(1)
    request = TrainRequest(
        kind="superres",
        dataset=f"folder:{photos}",
        hyperparameters={"batch_size": 4, "width": 8, "patch_size": 32},
        epochs=1,
        runs_dir=tmp_path / "runs",
        sample_every=1,
    )
    seen = list(Trainer(request).run())
    run_dir = Path(next(r for r in seen if isinstance(r, reports.Started)).run_dir)
    assert Run.open(run_dir).config["dataset"]["image_shape"] == [3, SIDE, SIDE]
    columns = 4  # low-res / bicubic / model / original, each with a 2-pixel border
    assert (
        last_grid(run_dir).size[0] == columns * (SIDE + 2) + 2
    )  # whole test photos, not thumbnails

    for grid_file in (run_dir / "samples").glob("step-*.png"):
        grid_file.unlink()
    loaded = []

    def watched(*args, **kwargs):
        loaded.append(load_dataset(*args, **kwargs))
        return loaded[-1]

    monkeypatch.setattr(trainer_module, "load_dataset", watched)
    list(Trainer(resume=run_dir, epochs=2).run())
    assert [d.info.image_shape for d in loaded] == [(3, SIDE, SIDE)]
    assert last_grid(run_dir).size[0] == columns * (SIDE + 2) + 2


def test_a_generative_kind_on_the_same_folder_still_gets_32x32(photos, tmp_path):
    torch.set_num_threads(1)
    run_dir, _ = train(
        "vae", tmp_path / "runs", dataset=f"folder:{photos}", hyperparameters={"batch_size": 4}
    )
    assert Run.open(run_dir).config["dataset"]["image_shape"] == [3, 32, 32]
