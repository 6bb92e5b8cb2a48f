"""The checks a person runs on a generative run from the command line, judged by a separately
trained digit classifier run (`image-studio train --kind cnn` makes one):

    python benchmarks/judge_images.py CLASSIFIER_RUN --samples s.npz
        images written by `image-studio sample RUN -n 1000 --steps 50 -o s.npz`: each class's
        share and the samples' mean top probability over the real test images'.
    python benchmarks/judge_images.py CLASSIFIER_RUN --reconstruct RUN [--steps 50]
        the test digits written as PNG files and sent through `image-studio reconstruct`
        (for a diffusion run: inverted with DDIM and regenerated): the share of
        reconstructions read as the digit they came from.

Ends with one line of name=value pairs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.data.datasets import load_dataset
from models.runs.checkpoint import load_model
from models.runs.folder import Run


def as_batch(images: np.ndarray) -> torch.Tensor:
    """uint8 N x H x W [x C] -> float N x C x H x W in [0, 1]."""
    tensor = torch.from_numpy(images).float().div(255)
    return tensor[:, None] if tensor.ndim == 3 else tensor.permute(0, 3, 1, 2)


def judge_samples(judge, real_confidence: float, images: np.ndarray) -> dict[str, float]:
    probabilities = judge.classify(as_batch(images))
    shares = torch.bincount(probabilities.argmax(1), minlength=len(judge.class_names))
    shares = shares.float() / len(images)
    confidence = float(probabilities.max(1).values.mean())
    for name, share in zip(judge.class_names, shares.tolist(), strict=True):
        print(f"class {name}: {share:.1%}")
    print(f"mean top probability: samples {confidence:.3f}, real {real_confidence:.3f}, ratio "
          f"{confidence / real_confidence:.3f}")  # fmt: skip
    return {
        "n": len(images),
        "min_share": round(float(shares.min()), 4),
        "max_share": round(float(shares.max()), 4),
        "sample_confidence": round(confidence, 4),
        "real_confidence": round(real_confidence, 4),
        "confidence_ratio": round(confidence / real_confidence, 4),
    }


def judge_reconstructions(judge, run: Path, data, steps: int | None) -> dict[str, float]:
    originals = data.test_images[:, 0].numpy()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "digits"
        folder.mkdir()
        for i, image in enumerate(originals):
            Image.fromarray(image).save(folder / f"digit-{i:05d}.png")
        out = Path(scratch) / "reconstructions.npz"
        command = [sys.executable, "-m", "studio", "reconstruct", str(run), str(folder),
                   "-o", str(out)] + (["--steps", str(steps)] if steps else [])  # fmt: skip
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        saved = np.load(out, allow_pickle=False)
        expected = [str(folder / f"digit-{i:05d}.png") for i in range(len(originals))]
        if saved["paths"].tolist() != expected:
            raise RuntimeError("reconstruct returned its images in another order than the files")
        rebuilt = saved["images"]
    read = judge.classify(as_batch(rebuilt)).argmax(1)
    kept = float((read == data.test_labels).float().mean())
    print(f"reconstructions of the {len(originals)} test digits read as their digit: {kept:.1%}")
    return {"reconstructed": len(originals), "reconstructions_kept": round(kept, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("classifier")
    parser.add_argument("--samples", type=Path, help="an .npz written by image-studio sample")
    parser.add_argument("--reconstruct", type=Path, metavar="RUN")
    parser.add_argument("--steps", type=int, help="sampling steps for reconstruct")
    args = parser.parse_args()
    judge_run = Run.open(args.classifier)
    judge = load_model(judge_run, "cpu")
    judge.train_mode(False)
    data = load_dataset(judge_run.config["dataset"]["name"])
    figures: dict[str, float] = {}
    if args.samples:
        real = judge.classify(data.test_images.float() / 255)
        real_confidence = float(real.max(1).values.mean())
        images = np.load(args.samples, allow_pickle=False)["images"]
        figures.update(judge_samples(judge, real_confidence, images))
    if args.reconstruct:
        figures.update(judge_reconstructions(judge, args.reconstruct, data, args.steps))
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
