"""How good a GAN with an encoder is, judged by a separately trained classifier run.

    python benchmarks/bigan_quality.py BIGAN_RUN CLASSIFIER_RUN [-n 1000] [--overhead-epochs 3]

1. Samples: 1,000 images, read by the classifier (gan_quality.sample_quality): each class's
   share and the samples' mean top probability over the real test images' (budget after 5
   minutes on mnist-5k: every class 5-15 %, confidence ratio >= 0.80).
2. Reconstructions: the test digits are written as PNG files and sent through
   `image-studio reconstruct` as a person would; the share of reconstructions the classifier
   reads as the digit's true class (budget >= 80 %).
3. Reconstruction-error ratio: the mean squared error between each test digit x_i and its
   reconstruction r_i, over the mean squared error between x_i and the reconstruction
   r_p(i) of another test digit, p a random pairing without fixed points (seeded).
   1 = reconstructions say nothing about their own image, 0 = perfect. The BiGAN paper's
   encoder reaches 0.62 on MNIST; the budget is below that.
4. Engine overhead: images/s of the Trainer against a hand-written loop on the same
   networks and batches (engine_overhead.measure; budget >= 0.95).

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
from engine_overhead import measure
from gan_quality import sample_quality
from PIL import Image

from models.data.datasets import load_dataset
from models.runs.checkpoint import load_model
from models.runs.folder import Run
from models.training.devices import resolve_device


def random_pairing(n: int, seed: int) -> torch.Tensor:
    """A random permutation in which no index is paired with itself."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=generator)
    shift = int(torch.randint(1, n, (1,), generator=generator))
    pairing = torch.empty(n, dtype=torch.long)
    pairing[order] = order.roll(shift)  # a cycle through a random order
    return pairing


def reconstruct_with_the_cli(run: Path, images: np.ndarray, folder: Path) -> np.ndarray:
    """Write uint8 (N, H, W) digits as PNG files, run `image-studio reconstruct` on the folder
    and return its reconstructions in file order."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"digit-{i:05d}.png")
    out = folder.parent / "reconstructions.npz"
    command = [sys.executable, "-m", "studio", "reconstruct", str(run), str(folder), "-o", str(out)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    saved = np.load(out, allow_pickle=False)
    expected = [str(folder / f"digit-{i:05d}.png") for i in range(len(images))]
    if saved["paths"].tolist() != expected:
        raise RuntimeError("reconstruct returned its images in another order than the files")
    return saved["images"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bigan")
    parser.add_argument("classifier")
    parser.add_argument("-n", type=int, default=1000, help="samples to judge")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--overhead-epochs", type=int, default=3,
                        help="epochs of the engine-overhead comparison (0 skips it)")  # fmt: skip
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    run = Run.open(args.bigan)
    generator = load_model(run, "cpu")
    generator.train_mode(False)
    judge_run = Run.open(args.classifier)
    judge = load_model(judge_run, "cpu")
    judge.train_mode(False)

    figures = {"step": run.status().get("step")}
    figures.update(sample_quality(generator, judge, judge_run, args.n, args.seed))

    data = load_dataset(run.config["dataset"]["name"])
    originals = data.test_images  # uint8 (N, 1, H, W)
    with tempfile.TemporaryDirectory() as scratch:
        rebuilt = reconstruct_with_the_cli(
            run.path, originals[:, 0].numpy(), Path(scratch) / "digits"
        )
    copies = torch.from_numpy(rebuilt).float().div(255)[:, None]
    read = judge.classify(copies).argmax(1)
    kept = float((read == data.test_labels).float().mean())
    real = originals.float() / 255
    own = (copies - real).pow(2).flatten(1).mean(1)
    other = (copies[random_pairing(len(real), args.seed)] - real).pow(2).flatten(1).mean(1)
    ratio = float(own.mean() / other.mean())
    print(f"reconstructions of the {len(real)} test digits read as their digit: {kept:.1%}")
    print(f"reconstruction error {float(own.mean()):.4f} against {float(other.mean()):.4f} for "
          f"a random pairing: ratio {ratio:.3f} (the BiGAN paper: 0.62)")  # fmt: skip
    figures.update(
        reconstructions_kept=round(kept, 4),
        reconstruction_mse=round(float(own.mean()), 5),
        random_pairing_mse=round(float(other.mean()), 5),
        reconstruction_ratio=round(ratio, 4),
    )

    if args.overhead_epochs > 0:
        with tempfile.TemporaryDirectory() as runs:
            found = measure("bigan", args.overhead_epochs, resolve_device(args.device),
                            Path(runs))  # fmt: skip
        print(f"hand loop {found['hand_images_per_s']:.0f} img/s, Trainer "
              f"{found['trainer_images_per_s']:.0f} img/s: ratio {found['ratio']:.3f}")  # fmt: skip
        figures.update({f"engine_{name}": value for name, value in found.items()})
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
