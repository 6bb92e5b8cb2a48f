"""Does `image-studio stylize` do what it promises on the offline feature network?

Runs the command exactly as a person would (a new process: start-up, imports, 200 iterations
at 256 pixels, writing the PNG) on a photo and a painting, and prints:
- the style loss's fall: its value on the content image over its value at the end (>= 10);
- whether the output keeps the content's edges: the correlation of Sobel edge maps of content
  and output, beside the same figure for content and style (what an output that had lost the
  content would score). Edge maps are compared at 1/4 size (the outlines of things, not the
  brush strokes the style adds everywhere) and, for reference, at full size;
- the wall-clock time of the command (< 120 s on 2 CPU cores).

Without --content/--style the pictures are made up (models/style/synthetic.py): a 256 x 256
"photo" of houses under a sky with a sun and hills, and a "painting" of swirling brush strokes
in blues and yellows; nothing is downloaded. The torch hub cache is pointed at an empty folder,
so the random multi-scale network is used even where VGG weights were downloaded.
Prints `name=value` pairs on the last line.

    PYTHONPATH=. python benchmarks/style_transfer.py [--content A.png --style B.png] [--steps N]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FALL = re.compile(r"style loss ([0-9.e+-]+) \(from ([0-9.e+-]+),")


def resized(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(pixels).resize(size, Image.BICUBIC))


def main() -> None:
    from models.style.edges import edge_correlation
    from models.style.pictures import load_picture, save_picture
    from models.style.synthetic import synthetic_painting, synthetic_photo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, help="a photo (default: the made-up one)")
    parser.add_argument("--style", type=Path, help="a painting (default: the made-up one)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        content_path = args.content or scratch / "photo.png"
        style_path = args.style or scratch / "painting.png"
        if args.content is None:
            save_picture(content_path, synthetic_photo(256))
        if args.style is None:
            save_picture(style_path, synthetic_painting(256))
        output = scratch / "stylized.png"
        command = [sys.executable, "-m", "studio", "stylize", str(content_path),
                   str(style_path), "-o", str(output), "--steps", str(args.steps),
                   "--size", str(args.size)]  # fmt: skip
        environment = {**os.environ, "TORCH_HOME": str(scratch / "torch"),
                       "PYTHONPATH": str(ROOT)}  # fmt: skip
        began = time.perf_counter()
        done = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(f"stylize failed ({done.returncode}): {done.stderr.strip()[-400:]}")
        last, first = (float(v) for v in FALL.search(done.stderr).groups())
        network = next(line for line in done.stderr.splitlines() if "feature network" in line)
        result = load_picture(output)
        size = (result.shape[1], result.shape[0])
        content = resized(load_picture(content_path), size)
        style = resized(load_picture(style_path), size)
    fall = first / last
    kept, style_edges = edge_correlation(content, result), edge_correlation(content, style)
    kept_full = edge_correlation(content, result, 1)
    style_full = edge_correlation(content, style, 1)
    print(f"content: {args.content or 'made-up photo'}; style: {args.style or 'made-up painting'}")
    print(network)
    print(f"style loss {first:.4g} -> {last:.4g}: {fall:.1f} times lower (needs >= 10)")
    print(f"edges (1/4 size): content~output {kept:.3f}, content~style {style_edges:.3f}")
    print(f"edges (full size): content~output {kept_full:.3f}, content~style {style_full:.3f}")
    print(f"{args.steps} steps at {size[0]} x {size[1]}: {seconds:.1f} s from start to PNG "
          "(needs < 120)")  # fmt: skip
    print(
        f"style_loss_fall={fall:.1f} edge_corr_output={kept:.3f} edge_corr_style={style_edges:.3f} "
        f"edge_corr_output_full={kept_full:.3f} edge_corr_style_full={style_full:.3f} "
        f"seconds={seconds:.1f} steps={args.steps} size={args.size}"
    )


if __name__ == "__main__":
    main()
