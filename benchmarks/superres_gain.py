"""How much sharper than bicubic does an upscaler enlarge pictures, and how fast?

1. Trains an upscaler with the default settings (x2, ESPCN) on npz:../shared/datasets/
   cifar10-6k.npz for at most --minutes (5) of wall-clock time, or takes --run.
2. Writes the first 500 CIFAR-10 test images of that archive (never trained on: the run
   trains on x_train) reduced by two with Pillow's bicubic as 16x16 PNGs, runs
   `image-studio apply RUN DIR -o OUT` on them as a person would, and measures the PSNR of
   the 32x32 results against the originals, beside bicubic enlargement of the same PNGs:
   the studio's bicubic (PyTorch, a = -0.75) and Pillow's (a = -0.5).
3. Does the same for a few large pictures made here (there are no photos on this machine):
   `mosaic`, 512x384, a 16 x 12 collage of CIFAR-10 test images 500-691 at their own
   resolution; `drawing`, 768x512, shapes, lines and text drawn at four times the size and
   reduced with antialiasing (edges like a photographed drawing); `blurred-mosaic`, the
   mosaic enlarged 1.5 times with Lanczos (soft, like a phone photo's detail).
4. Times `upscale` on a 1024x768 picture in-process (median of three after a warm-up) and
   `image-studio apply` on one 1024x768 PNG file end to end (process start included).

Prints ratios and ends with one line of name=value pairs.

    PYTHONPATH=. .venv/bin/python benchmarks/superres_gain.py [--run RUN] [--minutes 5]
                                                             [--runs-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "datasets" / "cifar10-6k.npz"
TEST_IMAGES = 500
BUDGET_SECONDS = 5.0


def train(runs_dir: Path, minutes: float) -> tuple[Path, int, float]:
    """A default upscaler trained until its planned end or the time limit; (run, steps, s)."""
    from models.training import reports
    from models.training.trainer import Trainer, TrainRequest

    request = TrainRequest(kind="superres", dataset=f"npz:{ARCHIVE}", runs_dir=runs_dir,
                           epochs=_default_epochs(), sample_every=500)  # fmt: skip
    trainer = Trainer(request)
    began = time.perf_counter()
    run_dir, step = None, 0
    for report in trainer.run():
        if isinstance(report, reports.Started):
            run_dir = Path(report.run_dir)
        step = getattr(report, "step", step)
        if time.perf_counter() - began > minutes * 60 and not trainer.stopping:
            trainer.stop()  # the checkpoint written on a stop is what apply reads
    return run_dir, step, time.perf_counter() - began


def _default_epochs() -> int:
    from models.kinds.registry import model_class

    return model_class("superres").default_epochs


def last_evaluation(run: Path) -> dict:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if '"split"' in line][-1]


def reduce(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[0] // 2, image.shape[1] // 2
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BICUBIC))


def pil_bicubic(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[0] * 2, image.shape[1] * 2
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BICUBIC))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0**2 / max(mse, 1e-10))


def large_pictures(test: np.ndarray) -> dict[str, np.ndarray]:
    tiles = test[500 : 500 + 16 * 12].reshape(12, 16, 32, 32, 3)
    mosaic = tiles.transpose(0, 2, 1, 3, 4).reshape(12 * 32, 16 * 32, 3)
    big = Image.new("RGB", (768 * 4, 512 * 4), (235, 228, 210))
    pen = ImageDraw.Draw(big)
    rng = np.random.default_rng(0)
    for _ in range(60):
        x, y = rng.integers(0, 768 * 4, 2)
        size = int(rng.integers(40, 600))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = rng.integers(0, 3)
        if shape == 0:
            pen.ellipse([x, y, x + size, y + size], fill=colour)
        elif shape == 1:
            pen.rectangle([x, y, x + size, y + size // 2], outline=colour, width=12)
        else:
            pen.line([x, y, x + size, y + size // 3], fill=colour, width=8)
    for row in range(8):
        pen.text((60, 100 + row * 240), "Image Studio upscaler 0123456789" * 2,
                 fill=(20, 20, 20), font_size=90)  # fmt: skip
    drawing = np.asarray(big.resize((768, 512), Image.LANCZOS, reducing_gap=3.0))
    soft = Image.fromarray(mosaic).resize((768, 576), Image.LANCZOS)
    return {"mosaic": mosaic, "drawing": drawing, "blurred-mosaic": np.asarray(soft)}


def apply_cli(run: Path, inputs: Path, output: Path) -> float:
    began = time.perf_counter()
    command = [sys.executable, "-m", "studio", "apply", str(run), str(inputs), "-o", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"image-studio apply failed: {done.stderr.strip()}")
    return time.perf_counter() - began


def studio_bicubic(image: np.ndarray) -> np.ndarray:
    from models.inference.upscale import bicubic

    return bicubic(image, 2)


def measure(originals: dict[str, np.ndarray], run: Path, scratch: Path, name: str):
    """Mean PSNR of apply's results, of the studio's bicubic and of Pillow's bicubic."""
    inputs, output = scratch / f"{name}-in", scratch / f"{name}-out"
    inputs.mkdir()
    small = {key: reduce(image) for key, image in originals.items()}
    for key, image in small.items():
        Image.fromarray(image).save(inputs / f"{key}.png")
    seconds = apply_cli(run, inputs, output)
    rows = {}
    for key, image in originals.items():
        enlarged = np.asarray(Image.open(output / f"{key}.png").convert("RGB"))
        crop = image[: enlarged.shape[0], : enlarged.shape[1]]
        rows[key] = (psnr(enlarged, crop), psnr(studio_bicubic(small[key]), crop),
                     psnr(pil_bicubic(small[key]), crop))  # fmt: skip
    return rows, seconds


def time_large(run: Path, scratch: Path) -> tuple[float, float]:
    from models.inference.upscale import upscale
    from models.runs.open_model import open_model

    model = open_model(run, device="cpu")
    picture = np.random.default_rng(1).integers(0, 256, (768, 1024, 3), dtype=np.uint8)
    upscale(model, picture[:64, :64])  # warm-up
    times = []
    for _ in range(3):
        began = time.perf_counter()
        upscale(model, picture)
        times.append(time.perf_counter() - began)
    folder = scratch / "timing-in"
    folder.mkdir()
    Image.fromarray(picture).save(folder / "large.png")
    return float(np.median(times)), apply_cli(run, folder / "large.png", scratch / "timing-out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an upscaler run to measure (default: train)")
    parser.add_argument("--minutes", type=float, default=5.0, help="training time limit")
    parser.add_argument("--runs-dir", type=Path, help="keep the trained run here (default: "
                        "a scratch folder, deleted at the end)")  # fmt: skip
    args = parser.parse_args()
    import torch

    print(f"torch threads: {torch.get_num_threads()}, cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        if args.run is None:
            run, steps, seconds = train(args.runs_dir or scratch / "runs", args.minutes)
            print(f"trained {run.name}: {steps} steps in {seconds:.0f} s")
        else:
            run, steps, seconds = args.run, 0, 0.0
        evaluation = last_evaluation(run)
        print(f"run's own evaluation: psnr {evaluation['psnr']:.2f} dB, bicubic "
              f"{evaluation['psnr_bicubic']:.2f} dB, gain {evaluation['psnr_gain_db']:+.2f} dB, "
              f"ssim {evaluation['ssim']:.4f} vs {evaluation['ssim_bicubic']:.4f}")  # fmt: skip

        with np.load(ARCHIVE) as archive:
            test = archive["x_test"]
        cifar = {f"{i:03d}": test[i] for i in range(TEST_IMAGES)}
        rows, apply_seconds = measure(cifar, run, scratch, "cifar")
        model, studio, pillow = (np.mean([r[k] for r in rows.values()]) for k in range(3))
        print(f"\n{TEST_IMAGES} CIFAR-10 test images 16x16 -> 32x32 through image-studio apply "
              f"({apply_seconds:.1f} s):")  # fmt: skip
        print(
            f"  model {model:.2f} dB, bicubic {studio:.2f} dB (studio) / {pillow:.2f} dB "
            f"(Pillow): gain {model - studio:+.2f} / {model - pillow:+.2f} dB (target >= 1.0)"
        )

        large, _ = measure(large_pictures(test), run, scratch, "large")
        print("\nlarge pictures (reduced by two, enlarged back):")
        for key, (m, s, p) in large.items():
            print(
                f"  {key:15} model {m:.2f} dB, bicubic {s:.2f} / {p:.2f} dB: "
                f"gain {m - s:+.2f} / {m - p:+.2f} dB (target >= 0.5)"
            )
        large_gain = min(m - s for m, s, _ in large.values())

        in_process, end_to_end = time_large(run, scratch)
        print(f"\n1024x768 -> 2048x1536: upscale {in_process:.2f} s, image-studio apply "
              f"{end_to_end:.2f} s end to end; {end_to_end / BUDGET_SECONDS:.2f} of the "
              f"{BUDGET_SECONDS:.0f} s budget")  # fmt: skip
        print(
            f"train_steps={steps} train_seconds={seconds:.0f} "
            f"cifar_psnr={model:.2f} cifar_bicubic={studio:.2f} cifar_pillow_bicubic={pillow:.2f} "
            f"cifar_gain_db={model - studio:.2f} cifar_gain_vs_pillow_db={model - pillow:.2f} "
            f"large_min_gain_db={large_gain:.2f} "
            + " ".join(f"{k}_gain_db={m - s:.2f}" for k, (m, s, _) in large.items())
            + f" upscale_1024x768_s={in_process:.2f} apply_1024x768_s={end_to_end:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
