"""Command-line sampling for kinds that draw an image in many network passes (denoising): the
options they take, a progress bar over the steps, Ctrl-C that stops between two steps, and the
denoising trajectory written as a GIF or a PNG strip.

Never imports Qt. Kinds are told apart by their plain-data description, never by name.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

# The sampling options a person can give, and what each means when left out.
OPTIONS = ("steps", "eta", "guidance", "sampler")


def add_sampling_options(parser: argparse.ArgumentParser, steps_flag: str = "--steps") -> None:
    parser.add_argument(steps_flag, dest="steps", type=int,
                        help="sampling steps (kinds that sample in many; default: the run's "
                        "sampling_steps)")  # fmt: skip
    parser.add_argument("--eta", type=float,
                        help="DDIM noise: 0 is deterministic (default), 1 is as DDPM")  # fmt: skip
    parser.add_argument("--guidance", type=float, help="classifier-free guidance scale: 0 "
                        "ignores the class, 1 follows it, above 1 exaggerates it")  # fmt: skip
    parser.add_argument("--sampler", choices=("ddim", "ddpm"), help="ddim (default) or ddpm "
                        "(ancestral)")  # fmt: skip


def samples_in_many_passes(model) -> bool:
    from models.kinds.description import describe_kind

    return describe_kind(type(model)).decode_passes == "many"


def given_options(args: argparse.Namespace) -> dict:
    return {name: getattr(args, name) for name in OPTIONS if getattr(args, name, None) is not None}


def sampling_options(model, args: argparse.Namespace, run_name: str) -> dict:
    """Keyword arguments for the model's sample/decode: the options given, checked, with the
    run's sampling steps when none were; refused in one line for one-pass kinds."""
    given = given_options(args)
    if not samples_in_many_passes(model):
        if given:
            flags = ", ".join(f"--{name}" for name in given)
            raise ValueError(
                f"{run_name} is a {model.title} run, which draws an image in one pass: "
                f"{flags} only apply to kinds that sample in many steps"
            )
        return {}
    if "steps" in given and not 1 <= given["steps"] <= 1000:
        raise ValueError(f"--steps must be between 1 and 1000, not {given['steps']}")
    if "eta" in given and not 0 <= given["eta"] <= 1:
        raise ValueError(f"--eta must be between 0 and 1, not {given['eta']}")
    if "guidance" in given:
        if not model.conditional:
            raise ValueError(f"this {model.title} was trained without classes, so there is no "
                             "class to guide towards; leave out --guidance")  # fmt: skip
        if not 0 <= given["guidance"] <= 20:
            raise ValueError(f"--guidance must be between 0 and 20, not {given['guidance']}")
    return {"steps": model.config.sampling_steps, **given}


class SamplingProgress:
    """A progress bar over every network step of a command, and a Ctrl-C that asks the
    sampling to stop before its next step (a second Ctrl-C interrupts at once)."""

    def __init__(self, total_steps: int, what: str, stream=None):
        self.stream = stream or sys.stderr
        self.total = total_steps
        self.what = what
        self.stop = threading.Event()
        self.bar = None
        self.done_before = 0  # steps of the batches already finished

    def cancelled(self) -> bool:
        return self.stop.is_set()

    def progress(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.done_before + done - self.bar.n)
            if done == total:
                self.done_before += total

    @contextmanager
    def running(self) -> Iterator[SamplingProgress]:
        def request_stop(signum, frame):
            if self.stop.is_set():
                raise KeyboardInterrupt
            self.stop.set()

        from tqdm import tqdm

        previous = signal.signal(signal.SIGINT, request_stop)
        self.bar = tqdm(total=self.total, desc=self.what, unit="step", file=self.stream,
                        dynamic_ncols=True, leave=False)  # fmt: skip
        try:
            yield self
        finally:
            self.bar.close()
            signal.signal(signal.SIGINT, previous)

    def hooks(self) -> dict:
        return {"cancel": self.cancelled, "progress": self.progress}


def draw(model, n: int, generator, label: int | None, options: dict, chunk: int = 500):
    """`n` samples on the CPU in chunks, each chunk's noise drawn from `generator` in turn (so
    a seed always gives the same images); None when Ctrl-C stopped them. `options` are the
    checked sampling options (none for one-pass kinds, which draw without a progress bar)."""
    import torch

    from models.kinds.diffusion_sampling import SamplingCancelled

    chunks = range(0, n, chunk)
    progress = SamplingProgress(options.get("steps", 0) * len(chunks), "sampling")
    images = []
    with progress.running() if options else nullcontext():
        for begin in chunks:
            noise = model.make_noise(min(chunk, n - begin), generator)
            labels = None if label is None else torch.full((len(noise),), label)
            extra = {**options, "generator": generator, **progress.hooks()} if options else {}
            try:
                images.append(model.sample(len(noise), noise=noise, labels=labels, **extra).cpu())
            except SamplingCancelled:
                return None
    return torch.cat(images)


RECONSTRUCT_STEPS_HELP = (
    "steps of the inversion and of the regeneration, for kinds that sample in many steps "
    "(default: the run's sampling_steps, 50 unless it was trained with another; the quick "
    "preview steps are for training grids only)"
)


def reconstruct_options(model, args: argparse.Namespace, run_name: str) -> dict:
    """The steps a many-pass kind reconstructs with: --steps, else the run's sampling steps
    (never its preview steps, which keep training's grids quick and lose detail); a one-pass
    kind refuses --steps in one line."""
    steps = getattr(args, "steps", None)
    if not samples_in_many_passes(model):
        if steps is not None:
            raise ValueError(
                f"{run_name} is a {model.title} run, which reconstructs in one pass: --steps "
                "only applies to kinds that sample in many steps"
            )
        return {}
    steps = model.config.sampling_steps if steps is None else steps
    if not 1 <= steps <= 1000:
        raise ValueError(f"--steps must be between 1 and 1000, not {steps}")
    return {"steps": int(steps)}


def reconstruct_all(model, paths: list, options: dict, batch_size: int = 256):
    """Every file's Reconstruction, in input order, with a progress bar over the steps and
    Ctrl-C between two steps for a many-pass kind; None when Ctrl-C stopped it."""
    from models.inference.reconstruct import reconstruct_files
    from models.kinds.base import SamplingCancelled

    if not options:
        return list(reconstruct_files(model, paths, batch_size=batch_size))
    batches = -(-len(paths) // batch_size)
    progress = SamplingProgress(2 * options["steps"] * batches, "reconstructing")
    with progress.running():
        try:
            return list(reconstruct_files(model, paths, batch_size=batch_size, **options,
                                          **progress.hooks()))  # fmt: skip
        except SamplingCancelled:
            return None


def stopped_message(output: Path) -> str:
    return f"stopped by request; nothing written to {output}"


def write_trajectory(path: Path, trajectory) -> int:
    """The denoising steps of the first image as a GIF (a frame per step, 4x size) or a PNG
    strip (one row); returns the number of frames."""
    import numpy as np

    from models.data.grids import make_grid, save_png
    from models.inference.export import gif_bytes
    from models.kinds.diffusion_trajectory import side_by_side_frames
    from models.runs.atomic import atomic_write_bytes

    frames = side_by_side_frames(trajectory)
    suffix = path.suffix.lower()
    if suffix == ".gif":
        enlarged = [np.kron(f, np.ones((4, 4, 1), np.uint8)) for f in frames]
        atomic_write_bytes(path, gif_bytes(enlarged, duration_ms=150))
    elif suffix == ".png":
        save_png(path, make_grid(np.stack(frames), columns=len(frames)))
    else:
        raise ValueError(f"{path.name}: choose a file ending in .gif or .png")
    return len(frames)


def command_denoise(args: argparse.Namespace) -> int:
    import torch

    from models.analysis.latent_map import seed_latent
    from models.kinds.description import LATENT_SPACE
    from studio.cli.commands import class_index, find_run, load_capable

    if args.output.suffix.lower() not in (".gif", ".png"):
        raise ValueError(f"{args.output.name}: choose a file ending in .gif or .png")
    run = find_run(args)
    model = load_capable(args, LATENT_SPACE, run)
    if not samples_in_many_passes(model):
        raise ValueError(f"{run.name} is a {model.title} run, which draws an image in one "
                         "pass: there are no denoising steps to show")  # fmt: skip
    options = sampling_options(model, args, run.name)
    labels = None
    if args.label is not None:
        labels = torch.tensor([class_index(model, args.label)])
    elif model.conditional:  # a class from the seed, so each seed is one fixed picture
        labels = torch.tensor([args.seed % len(model.class_names)])
    noise = seed_latent(model, args.seed)[None]
    generator = torch.Generator().manual_seed(args.seed)
    progress = SamplingProgress(options["steps"], "denoising")
    with progress.running():
        from models.kinds.diffusion_sampling import SamplingCancelled

        try:
            trajectory = model.trajectory(noise, labels, generator=generator, **options,
                                          **progress.hooks())  # fmt: skip
        except SamplingCancelled:
            print(stopped_message(args.output), file=sys.stderr)
            return 130
    frames = write_trajectory(args.output, trajectory)
    asked = "" if labels is None else f" of class {model.class_names[int(labels[0])]}"
    print(f"wrote the {len(trajectory.timesteps)} denoising steps{asked} (noisy | predicted "
          f"clean, {frames} frames) to {args.output}")  # fmt: skip
    return 0
