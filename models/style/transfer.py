"""Style transfer as a job: a generator of plain-data reports, one per iteration.

The result starts as the content image and its pixels are optimised so that the feature
network's Gram matrices match the style image's while the content layer stays close to the
content's (Gatys, Ecker and Bethge 2016). Each iteration yields the losses, and every few
iterations the image as it is, so a window can show the result forming and plot the losses.
Pause, resume and stop are honoured between iterations, from any thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from models.style.losses import StyleTargets
from models.style.networks import CHOICES, feature_network
from models.style.pictures import as_rgb

# The style loss's weight at strength 1: large enough that the result takes the style's
# textures (the style loss falls by far more than ten times) while the content layer keeps
# the outlines of the photo.
STYLE_WEIGHT = 20.0
OPTIMIZERS = ("adam", "lbfgs")
ADAM_RATE = 0.02  # per iteration, in pixel values of 0..1
MIN_SIZE, MAX_SIZE = 32, 2048
MAX_STEPS = 100_000


@dataclass(frozen=True)
class StyleSettings:
    steps: int = 200
    size: int = 256  # pixels along the longer side of the result
    strength: float = 1.0  # how much style against content; 0 keeps the photo as it is
    network: str = "auto"  # see models.style.networks.CHOICES
    weights_file: str | None = None  # a VGG weights file the person chose
    download: bool = False  # fetch missing ImageNet weights (with progress)
    # Adam lowers the losses steadily from the first iteration; L-BFGS without a line search
    # (one network pass per iteration) first overshoots, then paints more boldly.
    optimizer: str = "adam"
    image_every: int = 10  # iterations between images of the result as it forms
    threads: int | None = None  # torch threads; None leaves them as they are

    def check(self) -> None:
        """One line for each bad setting (ValueError)."""
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be between 1 and {MAX_STEPS}, not {self.steps}")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(
                f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, not {self.size}"
            )
        if not (0.0 <= self.strength <= 1000.0) or self.strength != self.strength:
            raise ValueError(f"strength must be between 0 and 1000, not {self.strength}")
        if self.network not in CHOICES:
            raise ValueError(f"network must be one of {', '.join(CHOICES)}, not {self.network!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.image_every < 1:
            raise ValueError("image_every must be at least 1")


@dataclass(frozen=True)
class StyleStarted:
    network: str  # "random", "vgg16" or "vgg19"
    network_title: str  # the network in use, for a person
    width: int
    height: int
    steps: int
    content: np.ndarray  # uint8 (H, W, 3): the content as the job uses it
    style: np.ndarray  # uint8 (h, w, 3)


@dataclass(frozen=True)
class StyleStep:
    step: int  # 1-based
    content_loss: float
    style_loss: float
    total_loss: float
    image: np.ndarray | None = None  # uint8 (H, W, 3) every `image_every` steps


@dataclass(frozen=True)
class StyleFinished:
    state: str  # "completed" or "stopped"
    steps_done: int
    network_title: str
    first_style_loss: float  # the style loss of the content image, before any iteration
    content_loss: float
    style_loss: float
    seconds: float
    image: np.ndarray = field(repr=False)  # uint8 (H, W, 3): the result


def fit_size(width: int, height: int, longer: int) -> tuple[int, int]:
    """(width, height) with the longer side `longer`, both multiples of 8 (the network pools
    three times), proportions kept."""
    scale = longer / max(width, height)
    return (max(8, round(width * scale / 8) * 8), max(8, round(height * scale / 8) * 8))


def to_tensor(pixels: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    """uint8 (H, W, 3) resized to `size` = (width, height) -> float (1, 3, H, W) in [0, 1]."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(pixels[..., :3])).convert("RGB")
    if image.size != size:
        image = image.resize(size, Image.BICUBIC, reducing_gap=3.0)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def to_pixels(image: torch.Tensor) -> np.ndarray:
    array = image.detach()[0].clamp(0, 1).permute(1, 2, 0).mul(255).round()
    return np.ascontiguousarray(array.to(torch.uint8).cpu().numpy())


class StyleTransfer:
    """One style-transfer job. `run()` yields StyleStarted, StyleStep..., StyleFinished."""

    def __init__(self, content: np.ndarray, style: np.ndarray, settings: StyleSettings):
        settings.check()
        self.content_pixels = as_rgb(content)
        self.style_pixels = as_rgb(style)
        self.settings = settings
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self.download_progress: Callable[[int, int], None] | None = None

    # --- any thread -------------------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused job wakes up to stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def _wait_while_paused(self) -> None:
        while not self._running.wait(0.1):
            pass

    # --- the job's thread -------------------------------------------------------------------
    def run(self) -> Iterator[StyleStarted | StyleStep | StyleFinished]:
        settings = self.settings
        if settings.threads:
            torch.set_num_threads(settings.threads)
        started_at = time.perf_counter()
        network = feature_network(
            settings.network, settings.weights_file, settings.download, self.download_progress
        )
        height, width = self.content_pixels.shape[:2]
        size = fit_size(width, height, settings.size)
        style_h, style_w = self.style_pixels.shape[:2]
        style_size = fit_size(style_w, style_h, settings.size)
        content = to_tensor(self.content_pixels, size)
        style = to_tensor(self.style_pixels, style_size)
        targets = StyleTargets(network.module, content, style)
        yield StyleStarted(network.name, network.title, size[0], size[1], settings.steps,
                           to_pixels(content), to_pixels(style))  # fmt: skip

        image = content.clone().requires_grad_(True)
        weight = STYLE_WEIGHT * settings.strength
        if settings.optimizer == "lbfgs":
            # One evaluation per iteration (no line search), so every iteration costs the same
            # and a pause or stop waits for one network pass at most.
            optimizer = torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=50)
        else:
            optimizer = torch.optim.Adam([image], lr=ADAM_RATE)
        measured: dict[str, float] = {}

        def closure() -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            content_loss, style_loss = targets.losses(image)
            total = content_loss + weight * style_loss
            total.backward()
            measured.update(content=content_loss.item(), style=style_loss.item(),
                            total=total.item())  # fmt: skip
            return total

        with torch.no_grad():
            first_content, first_style = (v.item() for v in targets.losses(content))
        done = 0
        state = "completed"
        for step in range(1, settings.steps + 1):
            self._wait_while_paused()
            if self._stop.is_set():
                state = "stopped"
                break
            optimizer.step(closure)
            with torch.no_grad():
                image.clamp_(0.0, 1.0)
            done = step
            if not all(np.isfinite(v) for v in measured.values()):
                raise FloatingPointError(f"the losses stopped being numbers at iteration {step}")
            show = step % settings.image_every == 0 or step == settings.steps
            yield StyleStep(step, measured["content"], measured["style"], measured["total"],
                            to_pixels(image) if show else None)  # fmt: skip
        yield StyleFinished(
            state=state,
            steps_done=done,
            network_title=network.title,
            first_style_loss=first_style,
            content_loss=measured.get("content", first_content),
            style_loss=measured.get("style", first_style),
            seconds=time.perf_counter() - started_at,
            image=to_pixels(image),
        )
