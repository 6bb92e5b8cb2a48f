"""How digit-like and how varied a generator's samples are, judged by a trained classifier.

Samples 1,000 images from a generative run, classifies them with a classifier run, and
prints the share of each class (a generator that covers every digit has each near 10 %) and
the samples' mean top probability divided by the classifier's mean top probability on the
real test images (1.0 = as clearly recognisable as real digits). Budget for a DCGAN trained
3 minutes on mnist-5k: every class 5-15 %, ratio >= 0.85. benchmarks/bigan_quality.py reuses
`sample_quality` for the GAN with an encoder.

    python benchmarks/gan_quality.py GAN_RUN CLASSIFIER_RUN [-n 1000]
"""

from __future__ import annotations

import argparse

import torch

from models.data.datasets import load_dataset
from models.runs.checkpoint import load_model
from models.runs.folder import Run


def mean_distance(images: torch.Tensor) -> float:
    """Mean Euclidean distance between two different images of the set."""
    flat = images.flatten(1).float()
    n = flat.shape[0]
    return float(torch.cdist(flat, flat).sum() / (n * (n - 1)))


def sample_quality(generator, judge, judge_run: Run, n: int, seed: int) -> dict[str, float]:
    """Class shares, confidence ratio and within-class spread of `n` samples, printed and
    returned as figures."""
    samples = generator.sample(n, noise=generator.make_noise(
        n, torch.Generator().manual_seed(seed)))  # fmt: skip
    probabilities = judge.classify(samples)
    shares = torch.bincount(probabilities.argmax(1), minlength=len(judge.class_names)) / n
    sample_confidence = float(probabilities.max(1).values.mean())
    data = load_dataset(judge_run.config["dataset"]["name"])
    real = judge.classify(data.test_images.float() / 255)
    real_confidence = float(real.max(1).values.mean())
    ratio = sample_confidence / real_confidence
    predicted = probabilities.argmax(1)
    real_images = data.test_images.float() / 255
    spreads = [
        mean_distance(samples[predicted == c]) / mean_distance(real_images[data.test_labels == c])
        for c in range(len(judge.class_names))
        if int((predicted == c).sum()) > 1
    ]
    spread = sum(spreads) / max(len(spreads), 1)
    for name, share in zip(judge.class_names, shares.tolist(), strict=True):
        print(f"class {name}: {share:.1%}")
    print(f"mean top probability: samples {sample_confidence:.3f}, real {real_confidence:.3f}, "
          f"ratio {ratio:.3f}")  # fmt: skip
    print(f"spread within a class, samples / real: {spread:.3f}")
    figures = {f"share_{n}": round(s, 4) for n, s in zip(judge.class_names, shares.tolist(),
                                                          strict=True)}  # fmt: skip
    figures.update(
        min_share=round(float(shares.min()), 4),
        max_share=round(float(shares.max()), 4),
        sample_confidence=round(sample_confidence, 4),
        real_confidence=round(real_confidence, 4),
        confidence_ratio=round(ratio, 4),
        spread_ratio=round(spread, 4),
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("generator")
    parser.add_argument("classifier")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args()
    generator = load_model(Run.open(args.generator), "cpu")
    judge_run = Run.open(args.classifier)
    judge = load_model(judge_run, "cpu")
    figures = sample_quality(generator, judge, judge_run, args.n, args.seed)
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
