"""`image-studio stylize CONTENT STYLE -o out.png`: the content picture in the style picture's
style (Gatys et al.), with a progress bar; says which feature network it used and the losses.

A first Ctrl-C stops between iterations and still writes the result so far.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

DEFAULTS = {"steps": 200, "size": 256, "strength": 1.0}


def add_stylize_parser(commands) -> None:
    from models.style.networks import CHOICES

    stylize = commands.add_parser(
        "stylize", help="paint a picture in the style of another (style transfer)"
    )
    stylize.add_argument("content", type=Path, help="the picture whose content is kept")
    stylize.add_argument("style", type=Path, help="the picture whose style is taken (a painting)")
    stylize.add_argument("-o", "--output", type=Path, required=True, help="the result (.png)")
    stylize.add_argument("--steps", type=int, default=DEFAULTS["steps"],
                         help="iterations (default %(default)s)")  # fmt: skip
    stylize.add_argument("--size", type=int, default=DEFAULTS["size"],
                         help="pixels along the longer side (default %(default)s)")  # fmt: skip
    stylize.add_argument("--strength", type=float, default=DEFAULTS["strength"],
                         help="style against content: 0 keeps the photo, higher paints more "
                         "(default %(default)s)")  # fmt: skip
    stylize.add_argument("--network", default="auto", choices=CHOICES,
                         help="feature network: auto takes ImageNet VGG weights when they are "
                         "on this machine, else the random one that needs no download")  # fmt: skip
    stylize.add_argument("--weights", type=Path, metavar="FILE",
                         help="a VGG weights file (.pth or .safetensors) to use")  # fmt: skip
    stylize.add_argument("--download", action="store_true",
                         help="download the ImageNet VGG weights if they are missing")  # fmt: skip


def command_stylize(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from models.style.pictures import load_picture, save_picture
    from models.style.transfer import (
        StyleFinished,
        StyleSettings,
        StyleStarted,
        StyleStep,
        StyleTransfer,
    )
    from studio.cli.checks import check_output_file

    check_output_file("-o", args.output)
    save_picture_suffix_check(args.output)
    settings = StyleSettings(
        steps=args.steps,
        size=args.size,
        strength=args.strength,
        network=args.network,
        weights_file=str(args.weights) if args.weights else None,
        download=args.download,
    )
    settings.check()
    content, style = (read(load_picture, path, role) for path, role in
                      ((args.content, "content"), (args.style, "style")))  # fmt: skip
    job = StyleTransfer(content, style, settings)
    download: list[tqdm] = []

    def downloading(done: int, total: int) -> None:
        if not download:
            download.append(tqdm(total=total or None, unit="B", unit_scale=True,
                                 desc="VGG weights", file=sys.stderr))  # fmt: skip
        download[0].update(done - download[0].n)

    job.download_progress = downloading
    previous = signal.signal(signal.SIGINT, lambda *_: job.stop())
    bar = None
    try:
        for report in job.run():
            if isinstance(report, StyleStarted):
                print(f"feature network: {report.network_title}", file=sys.stderr)
                print(f"size {report.width} x {report.height}, {report.steps} iterations",
                      file=sys.stderr)  # fmt: skip
                bar = tqdm(total=report.steps, unit="it", file=sys.stderr)
            elif isinstance(report, StyleStep):
                bar.update(1)
                bar.set_postfix(content=f"{report.content_loss:.3g}",
                                style=f"{report.style_loss:.3g}", refresh=False)  # fmt: skip
            elif isinstance(report, StyleFinished):
                finished = report
    finally:
        signal.signal(signal.SIGINT, previous)
        for progress in (*download, bar):
            if progress is not None:
                progress.close()
    save_picture(args.output, finished.image)
    fall = finished.first_style_loss / max(finished.style_loss, 1e-12)
    print(
        f"{finished.state} after {finished.steps_done} iterations in {finished.seconds:.1f} s: "
        f"content loss {finished.content_loss:.4g}, style loss {finished.style_loss:.4g} "
        f"(from {finished.first_style_loss:.4g}, {fall:.1f}x lower)",
        file=sys.stderr,
    )
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def read(load_picture, path: Path, role: str):
    from models.data.images import ImageLoadError

    try:
        return load_picture(path)
    except ImageLoadError as exc:
        raise ImageLoadError(f"the {role} picture {path}: {exc}") from None


def save_picture_suffix_check(path: Path) -> None:
    """Refuse an output name no image format fits before minutes of work, not after."""
    from models.style.pictures import IMAGE_FORMATS

    if Path(path).suffix.lower() not in IMAGE_FORMATS:
        raise ValueError(f"-o {path}: give a file name ending in {', '.join(IMAGE_FORMATS)}")
