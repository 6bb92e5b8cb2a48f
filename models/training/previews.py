"""The sample grids a training run draws from fixed noise (and fixed test images) as it goes,
saved into the run folder's samples/ and reconstructions/ folders."""

from __future__ import annotations

from pathlib import Path

import torch

from models.data.datasets import ImageDataset
from models.data.grids import make_grid, pair_grid, save_png, to_uint8
from models.kinds.base import Capability, ImageModel, SamplingCancelled
from models.training import reports
from models.training.control import RunControl

GRID_SIZE = 64
MAX_CLASS_COLUMNS = 16  # a conditional model's grid has a column per class up to this many
RECONSTRUCTIONS = 16


def grid_folder_made(path: Path) -> Path:
    """`path`, with its grid folder made, but not its parents: a run folder deleted while it
    trains must not come back."""
    path.parent.mkdir(exist_ok=True)
    return path


class Previews:
    """The same noise and test images at every step, so the grids show the training move."""

    def __init__(self, run, model: ImageModel, dataset: ImageDataset, seed: int,
                 control: RunControl):  # fmt: skip
        self.run_folder = run
        self.model = model
        self.dataset = dataset
        self.control = control
        generator = torch.Generator().manual_seed(seed)
        self.fixed_noise = None
        self.grid_columns: int | None = None  # None: as square as the grid allows
        self.grid_labels: torch.Tensor | None = None
        if model.can(Capability.GENERATE):
            size = GRID_SIZE
            if model.conditional and len(model.class_names) <= MAX_CLASS_COLUMNS:
                # A column per class, in class order, eight of each.
                self.grid_columns = len(model.class_names)
                size = 8 * self.grid_columns
                self.grid_labels = torch.arange(size) % self.grid_columns
            self.fixed_noise = model.make_noise(size, generator)
        count = min(RECONSTRUCTIONS, dataset.num_test)
        self.fixed_test = torch.linspace(0, dataset.num_test - 1, count).long()

    def draw(self, step: int) -> reports.Samples | None:
        if self.fixed_noise is None and not self.model.can(
            Capability.ENCODE | Capability.IMAGE_TO_IMAGE
        ):
            return None
        self.model.train_mode(False)
        try:
            return self._draw(step)
        except SamplingCancelled:
            return None  # a stop during a many-pass preview: the grid is not worth the wait
        finally:
            self.model.train_mode(True)

    def _draw(self, step: int) -> reports.Samples:
        # A kind whose decode costs many passes is asked to check for a stop between them,
        # so a stop is honoured within one network pass, not after a whole preview grid.
        many = getattr(type(self.model), "decode_passes", "one") == "many"
        options = {"cancel": lambda: self.control.stopping} if many else {}
        grid = None
        path = ""
        if self.fixed_noise is not None:
            samples = self.model.sample(
                len(self.fixed_noise), noise=self.fixed_noise, labels=self.grid_labels, **options
            )
            grid = make_grid(to_uint8(samples), columns=self.grid_columns)
            path = str(self.run_folder.grid_path(step))
            save_png(grid_folder_made(Path(path)), grid)
        if self.model.can(Capability.IMAGE_TO_IMAGE):
            # The kind's own before/after grid of the fixed test images, shown as its samples.
            originals = self.dataset.batch(
                "test", self.fixed_test.to(self.dataset.test_images.device)
            ).images
            grid = self.model.preview_grid(originals)
            path = str(self.run_folder.grid_path(step))
            save_png(grid_folder_made(Path(path)), grid)
        recon = None
        if self.model.can(Capability.ENCODE):
            originals = self.dataset.batch(
                "test", self.fixed_test.to(self.dataset.test_images.device)
            ).images
            copies = self.model.reconstruct(originals, **options)
            recon = pair_grid(to_uint8(originals), to_uint8(copies))
            save_png(grid_folder_made(self.run_folder.grid_path(step, "reconstructions")), recon)
        return reports.Samples(step, grid, path, recon)
