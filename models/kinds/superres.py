"""Super-resolution: a network that enlarges images 2, 3 or 4 times, trained on any dataset.

Training pairs are made as the literature makes them: random crops of the training images
are the targets, their bicubic (antialiased) reductions the inputs. Each epoch the test
images are reduced the same way and enlarged by the model and by bicubic upscaling, so the
curve shows how many dB the model gains over bicubic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.analysis.fidelity import psnr, psnr_of_mse, ssim
from models.data.grids import make_grid, to_uint8
from models.kinds.base import (
    Batch,
    Capability,
    DataInfo,
    ImageModel,
    Metric,
    finite_step,
    fused_optimizer,
)
from models.kinds.hyperparameters import hyperparameter
from models.nets.espcn import (
    FACTORS,
    NETWORKS,
    SubPixelUpscaler,
    bicubic_downscale,
    bicubic_upscale,
)

PREVIEW_IMAGES = 8  # rows of the preview grid
PREVIEW_COLUMNS = ("low-res", "bicubic", "model", "original")


@dataclass
class SuperResolutionConfig:
    factor: int = hyperparameter(
        2, "How many times larger the output is", low=2, high=4, choices=FACTORS
    )
    network: str = hyperparameter(
        "espcn", "espcn: the fast sub-pixel network of Shi et al.; residual: deeper, with "
        "residual blocks, slower but sharper", choices=NETWORKS,
    )  # fmt: skip
    patch_size: int = hyperparameter(
        32, "Side of the random crops trained on, in output pixels (whole images when they "
        "are smaller)", low=8, high=512,
    )  # fmt: skip
    learning_rate: float = hyperparameter(
        2e-3, "Adam learning rate at the start (it decays to a tenth by the end)",
        low=1e-5, high=1e-1, log_scale=True,
    )  # fmt: skip
    batch_size: int = hyperparameter(32, "Crops per training step", low=1, high=1024)
    loss: str = hyperparameter(
        "mse", "mse (mean squared error) aims straight at PSNR; l1 (mean absolute error) "
        "often looks a little sharper", choices=("mse", "l1"), advanced=True,
    )  # fmt: skip
    width: int = hyperparameter(
        64, "Channels of the feature layers", low=8, high=256, advanced=True
    )
    blocks: int = hyperparameter(
        4, "Residual blocks of the residual network", low=1, high=32, advanced=True
    )


class SuperResolution(ImageModel):
    kind = "superres"
    title = "Super-resolution (upscaler)"
    summary = (
        "Enlarges images 2, 3 or 4 times, sharper than bicubic: trained on crops of any images "
        "shrunk and restored."
    )
    capabilities = Capability.IMAGE_TO_IMAGE
    config_class = SuperResolutionConfig
    default_epochs = 60
    primary_metric = Metric("psnr_gain_db", higher_is_better=True)
    preview_title = "Low-res / bicubic / model / original"
    # Photos of a folder come at 128 pixels a side so random patch crops see real photo detail,
    # not thumbnails; as uint8 RGB that is 49 MB per 1,000 photos (160 would be 77 MB).
    folder_image_side = 128

    def __init__(self, config: SuperResolutionConfig, data: DataInfo, device):
        super().__init__(config, data, device)
        self.net = SubPixelUpscaler(
            data.image_shape[0], config.factor, config.network, config.width, config.blocks
        ).to(self.device)
        self._optimizer: torch.optim.Adam | None = None
        self.total_steps = 1
        self.steps_done = 0

    # --- what it is ---------------------------------------------------------------------
    @property
    def factor(self) -> int:
        return self.config.factor

    @property
    def context(self) -> int:
        """Input pixels of overlap tiles need on each side to join without seams."""
        return self.net.context

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        return height * self.factor, width * self.factor

    def networks(self) -> dict[str, nn.Module]:
        return {"upscaler": self.net}

    @property
    def optimizer(self) -> torch.optim.Adam:
        # Made when training first needs it: an upscaler opened to enlarge pictures never
        # does, and a process's first Adam imports torch's compiler (3 s of a 5 s budget for
        # `image-studio apply` on a 1024x768 picture).
        if self._optimizer is None:
            self._optimizer = torch.optim.Adam(
                self.net.parameters(), lr=self.config.learning_rate,
                **fused_optimizer(self.device),
            )  # fmt: skip
        return self._optimizer

    def optimizers(self) -> dict:
        return {"adam": self.optimizer}

    # --- training -----------------------------------------------------------------------
    def prepare(self, total_steps: int, done_steps: int = 0) -> None:
        self.total_steps = max(total_steps, 1)
        self.steps_done = done_steps

    def _rate(self) -> float:
        """Cosine decay from the set rate to a tenth of it over the planned run."""
        progress = min(self.steps_done / self.total_steps, 1.0)
        return self.config.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))

    def _crops(self, images: Tensor) -> Tensor:
        """A random crop of each image, its sides a multiple of the factor, randomly flipped
        and turned (a photo upscales the same way at any orientation)."""
        n, _, height, width = images.shape
        f = self.factor
        side_h = min(self.config.patch_size, height) // f * f
        side_w = min(self.config.patch_size, width) // f * f
        tops = torch.randint(0, height - side_h + 1, (n,)).tolist()
        lefts = torch.randint(0, width - side_w + 1, (n,)).tolist()
        crops = torch.stack([
            images[i, :, t : t + side_h, s : s + side_w]
            for i, (t, s) in enumerate(zip(tops, lefts, strict=True))
        ])  # fmt: skip
        flips = torch.randint(0, 2, (2,)).tolist()
        if flips[0]:
            crops = crops.flip(3)
        if flips[1]:
            crops = crops.flip(2)
        if side_h == side_w and int(torch.randint(0, 2, ())):
            crops = crops.transpose(2, 3)
        return crops.contiguous()

    def _loss(self, output: Tensor, target: Tensor) -> Tensor:
        if self.config.loss == "mse":
            return F.mse_loss(output, target)
        return F.l1_loss(output, target)

    def train_step(self, batch: Batch) -> dict[str, float]:
        for group in self.optimizer.param_groups:
            group["lr"] = self._rate()
        targets = self._crops(batch.images.to(self.device))
        output = self.net(bicubic_downscale(targets, self.factor))
        loss = self._loss(output, targets)
        finite_step(self.optimizer, loss)
        self.steps_done += 1
        with torch.no_grad():
            mse = F.mse_loss(output.detach().clamp(0, 1), targets).item()
        return {"loss": loss.item(), "train_psnr": psnr_of_mse(mse),
                "lr": self.optimizer.param_groups[0]["lr"]}  # fmt: skip

    # --- evaluation ---------------------------------------------------------------------
    def _cut(self, images: Tensor) -> Tensor:
        """Images cut to sides a multiple of the factor, so reduced and enlarged they match."""
        f = self.factor
        height, width = images.shape[-2] // f * f, images.shape[-1] // f * f
        return images[..., :height, :width]

    @torch.inference_mode()
    def evaluate(self, batches: Iterable[Batch]) -> dict[str, float]:
        """PSNR (dB) and SSIM of the model's and of bicubic enlargements of the reduced test
        images against the originals, averaged per image; the gain is the difference."""
        sums = {"psnr": 0.0, "psnr_bicubic": 0.0, "ssim": 0.0, "ssim_bicubic": 0.0}
        count = 0
        for batch in batches:
            originals = self._cut(batch.images.to(self.device))
            small = bicubic_downscale(originals, self.factor)
            enlarged = self.net(small).clamp(0, 1)
            bicubic = bicubic_upscale(small, self.factor).clamp(0, 1)
            sums["psnr"] += psnr(enlarged, originals).sum().item()
            sums["psnr_bicubic"] += psnr(bicubic, originals).sum().item()
            sums["ssim"] += ssim(enlarged, originals).sum().item()
            sums["ssim_bicubic"] += ssim(bicubic, originals).sum().item()
            count += originals.shape[0]
        means = {name: total / max(count, 1) for name, total in sums.items()}
        means["psnr_gain_db"] = means["psnr"] - means["psnr_bicubic"]
        return means

    @torch.inference_mode()
    def preview_grid(self, originals: Tensor) -> np.ndarray:
        """Rows of low-res (enlarged with square pixels) / bicubic / model / original, for
        the first PREVIEW_IMAGES of `originals`: uint8 (H, W, C)."""
        originals = self._cut(originals[:PREVIEW_IMAGES].to(self.device))
        small = bicubic_downscale(originals, self.factor)
        blocky = F.interpolate(small, scale_factor=self.factor, mode="nearest")
        bicubic = bicubic_upscale(small, self.factor).clamp(0, 1)
        enlarged = self.net(small).clamp(0, 1)
        rows = torch.stack([blocky, bicubic, enlarged, originals], 1).flatten(0, 1)
        return make_grid(to_uint8(rows), columns=len(PREVIEW_COLUMNS))

    # --- image to image ------------------------------------------------------------------
    @torch.inference_mode()
    def apply(self, images: Tensor) -> Tensor:
        """Images (N, C, H, W) in [0, 1] enlarged `factor` times, clamped to [0, 1]. Large
        images should go through models.inference.upscale, which tiles them."""
        return self.net(images.to(self.device).float()).clamp_(0, 1)
