"""`image-studio export RUN --format onnx -o model.onnx [--quantize int8]`: a run's model as a
file another program runs, checked against PyTorch before it is written.

What is exported, and whether the run can be exported at all, comes from its kind's
description (models/deploy/graphs.py); a run that cannot is refused in one line before its
weights are read.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

SERVE_EXTRA = "pip install 'image-studio[serve]'"


def missing_packages(names: tuple[str, ...]) -> list[str]:
    return [name for name in names if importlib.util.find_spec(name) is None]


def extra_message(what: str, missing: list[str]) -> str:
    return f"{what} needs {', '.join(missing)}, which are not installed: {SERVE_EXTRA}"


def add_export_parser(commands) -> None:
    export = commands.add_parser(
        "export", help="write a run's model as an ONNX or TorchScript file, checked against "
        "PyTorch (classifiers: probabilities; generators: images from latents, or one "
        "denoising step)",
    )  # fmt: skip
    export.add_argument("run", help="run folder, or a run name in the runs folder")
    export.add_argument("--format", choices=("onnx", "torchscript"), default="onnx")
    export.add_argument("-o", "--output", type=Path, required=True,
                        help="the file to write (.onnx, or .pt for TorchScript)")  # fmt: skip
    export.add_argument("--quantize", choices=("int8",),
                        help="classifiers: 8-bit weights and activations, calibrated on the "
                        "training images; accuracy, size and speed are printed before and "
                        "after")  # fmt: skip
    export.add_argument("--max-accuracy-drop", type=float, default=0.5, metavar="POINTS",
                        help="refuse an int8 file that loses more test accuracy than this "
                        "(default 0.5 points)")  # fmt: skip
    export.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)


def command_export(args: argparse.Namespace) -> int:
    from models.deploy.export import check_request, export_run
    from studio.cli.checks import check_output_file
    from studio.cli.commands import find_run

    check_output_file("-o", args.output)
    if args.max_accuracy_drop < 0:
        raise ValueError("--max-accuracy-drop must be at least 0")
    run = find_run(args)
    check_request(run, args.format, args.quantize)  # refused here, before any weights
    needed = ("onnx", "onnxruntime", "onnxscript") if args.format == "onnx" else ()
    missing = missing_packages(needed)
    if missing:
        print(f"image-studio: error: {extra_message('ONNX export', missing)}", file=sys.stderr)
        return 1
    export_run(run, args.format, args.output, quantize=args.quantize,
               max_accuracy_drop=args.max_accuracy_drop)  # fmt: skip
    return 0
