"""`image-studio apply RUN INPUTS... -o OUTDIR`: an image-to-image run over files and folders.

Each readable image is written to OUTDIR as a PNG; a file that cannot be used gets one line
saying why and the others go on, as `classify` does. A run whose kind does not turn images
into images is refused in words taken from its kind's description, before its weights are read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_apply_parser(commands) -> None:
    apply = commands.add_parser(
        "apply", help="turn image files or folders into new images with an image-to-image run "
        "(an upscaler enlarges them)",
    )  # fmt: skip
    apply.add_argument("run", help="run folder, or a run name in the runs folder")
    apply.add_argument("paths", nargs="+", type=Path, metavar="INPUTS")
    apply.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR",
                       help="folder the results are written to, one PNG per input")  # fmt: skip
    apply.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)


def check_output_folder(path: Path) -> None:
    path = Path(path).expanduser()
    for existing in (path, *path.parents):
        if existing.exists():
            if not existing.is_dir():
                raise ValueError(f"-o {path} cannot be used as a folder: {existing} is a file")
            return


def command_apply(args: argparse.Namespace) -> int:
    from models.inference.classify import expand_paths
    from models.inference.file_results import display_path
    from models.inference.upscale import upscale_files
    from models.kinds.description import IMAGE_TO_IMAGE
    from studio.cli.commands import find_run, load_capable

    check_output_folder(args.output)
    run = find_run(args)
    model = load_capable(args, IMAGE_TO_IMAGE, run)  # refused here, before any weights
    done = failed = 0
    for result in upscale_files(model, expand_paths(args.paths), args.output.expanduser()):
        name = display_path(result.path)
        if result.reason:
            failed += 1
            print(f"{name}\tcannot apply: {result.reason}")
        else:
            done += 1
            (w, h), (ow, oh) = result.size, result.output_size
            print(f"{name}\t{display_path(result.output)}  {w}x{h} -> {ow}x{oh}")
    print(f"{done} written to {display_path(args.output)}, {failed} could not be used",
          file=sys.stderr)  # fmt: skip
    return 0 if done else 1
