"""The headless command line: train, resume, sample, interpolate, classify, reconstruct,
apply, stylize, runs.

Never imports Qt (an import-linter contract checks it). Errors are one line a person can act
on and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    from models.analysis.quality.schedule import HELP as QUALITY_EVERY
    from models.data.datasets import CHOICES
    from models.kinds.registry import DEFAULT_KIND, KINDS
    from models.training.devices import DEVICE_CHOICES
    from studio.cli.apply import add_apply_parser
    from studio.cli.distributed import add_distributed_options
    from studio.cli.export import add_export_parser
    from studio.cli.sampling import RECONSTRUCT_STEPS_HELP, add_sampling_options
    from studio.cli.serve import add_serve_parser
    from studio.cli.stylize import add_stylize_parser

    parser = argparse.ArgumentParser(
        prog="image-studio",
        description="Train, sample and explore small image models. Without a command, "
        "opens the studio window.",
    )
    parser.add_argument("--runs-dir", type=Path, help="folder holding the runs (default: "
                        "the user data folder, or $IMAGE_STUDIO_RUNS)")  # fmt: skip
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train a new model")
    train.add_argument("--kind", default=DEFAULT_KIND, help=f"model kind: {', '.join(KINDS)} "
                       "(`image-studio kinds` describes each)")  # fmt: skip
    datasets = ", ".join(c.name for c in CHOICES)
    train.add_argument(
        "--dataset", default="mnist-5k",
        help=f"{datasets}, folder:PATH (a folder of images) or npz:PATH (x_train, y_train, ...)",
    )  # fmt: skip
    train.add_argument("--epochs", type=int, help="passes over the training images")
    train.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--sample-every", type=int, default=100, help="steps between sample grids")
    # argparse formats help with %, so the schedule's "4 %" must be escaped.
    quality_help = QUALITY_EVERY.replace("%", "%%")
    train.add_argument("--quality-every", default="auto", metavar="WHEN", help="when the "
                       f"quality of generated images is measured: {quality_help}")  # fmt: skip
    train.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                       help="a hyperparameter; `image-studio kinds` lists them")  # fmt: skip
    train.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)
    add_distributed_options(train)

    resume = commands.add_parser("resume", help="continue a stopped run exactly where it was")
    resume.add_argument("run", help="run folder, or a run name in the runs folder")
    resume.add_argument("--epochs", type=int, help="train to this many epochs in total")
    resume.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    sample = commands.add_parser("sample", help="generate images from a trained model")
    sample.add_argument("run")
    sample.add_argument("-n", type=int, default=64, help="how many images")
    sample.add_argument("-o", "--output", type=Path, required=True, help="grid .png or .npz")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument(
        "--label", help="only images of this class (generators trained with classes)"
    )
    add_sampling_options(sample)
    sample.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    denoise = commands.add_parser(
        "denoise", help="one sample's denoising steps: each noisy step beside its predicted "
        "clean image (kinds that sample in many steps)",
    )  # fmt: skip
    denoise.add_argument("run")
    denoise.add_argument("--seed", type=int, default=0, help="the starting noise (and class)")
    denoise.add_argument("--label", help="the class to draw (runs trained with classes)")
    add_sampling_options(denoise)
    denoise.add_argument("-o", "--output", type=Path, required=True, help=".gif or .png strip")
    denoise.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    between = commands.add_parser("interpolate", help="a strip of images between two codes")
    between.add_argument("run")
    between.add_argument("--steps", type=int, default=10)
    between.add_argument("--path", choices=("slerp", "lerp"), default="slerp")
    between.add_argument("--seeds", type=int, nargs=2, default=(1, 2), metavar=("A", "B"))
    between.add_argument(
        "--labels", nargs=2, metavar=("A", "B"), help="classes of the two ends (runs with classes)"
    )
    between.add_argument("-o", "--output", type=Path, required=True, help="strip .png or .gif")
    between.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    classify = commands.add_parser("classify", help="classify image files or folders")
    classify.add_argument("run")
    classify.add_argument("paths", nargs="+", type=Path)
    classify.add_argument(
        "--csv", nargs="?", const="-", metavar="FILE",
        help="write all results as CSV to FILE; without FILE (or with -) to standard output, "
        "instead of the readable lines",
    )  # fmt: skip
    classify.add_argument("--top-k", type=int, default=3)
    classify.add_argument("--explain", type=Path, metavar="DIR",
                          help="write for each file the image as the model saw it, with a "
                          "heat map of where it looked")  # fmt: skip
    classify.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    rebuild = commands.add_parser(
        "reconstruct", help="image files or folders through a model's encoder and back"
    )
    rebuild.add_argument("run")
    rebuild.add_argument("paths", nargs="+", type=Path)
    rebuild.add_argument("-o", "--output", type=Path, required=True,
                         help=".npz of images (uint8 N x H x W [x C]) and their paths")  # fmt: skip
    rebuild.add_argument("--steps", type=int, help=RECONSTRUCT_STEPS_HELP)
    rebuild.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    quality = commands.add_parser(
        "quality", help="how good generated images are: FID, KID, precision, recall, classes"
    )
    quality.add_argument("run", nargs="?", help="a generative run whose samples are measured")
    quality.add_argument("-n", type=int, default=2000, help="how many samples to draw")
    quality.add_argument("--steps", type=int, help="sampling steps (kinds that sample in many)")
    quality.add_argument("--images", type=Path, help="measure these instead: .npz of uint8 "
                         "N x H x W [x C] (as `sample -o x.npz` writes)")  # fmt: skip
    quality.add_argument("--dataset", help="the data --images are compared with")
    quality.add_argument("--reference", metavar="RUN", help="a classifier run of the same data "
                         "to measure with (default: the dataset's own, trained once)")  # fmt: skip
    quality.add_argument("--seed", type=int, default=0)
    quality.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    quality.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    add_apply_parser(commands)
    add_stylize_parser(commands)
    add_export_parser(commands)
    add_serve_parser(commands)

    runs = commands.add_parser("runs", help="list the runs, newest first")
    runs.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)

    commands.add_parser("kinds", help="list model kinds and their settings")
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from studio.cli import commands as cli_commands
    from studio.cli.checks import check_arguments, one_line

    handler = getattr(cli_commands, f"command_{args.command}")
    try:
        check_arguments(args, cli_commands.runs_dir(args))
        return handler(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not cli_commands.is_user_error(exc):
            raise
        print(f"image-studio: error: {one_line(exc)}", file=sys.stderr)
        return 1
