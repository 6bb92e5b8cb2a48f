"""Trainer throughput of the new classifier kinds against a hand-written loop on the same
network, batches and device, measured as benchmarks/engine_overhead.py measures every kind
(the two in lockstep, epoch by epoch, the warm-up epoch left out). Budget: ratio >= 0.95.

Each kind trains on the data it is meant for: the ViT on the bundled digits with its default
settings, the ResNet-18 at width 16 on the shared CIFAR-10 subset (width 64 takes about 16
times as long per image on a CPU).

    python benchmarks/classifier_throughput.py [--epochs 4] [--kinds vit,resnet18]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from engine_overhead import measure

from models.training.devices import resolve_device

CIFAR_6K = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "cifar10-6k.npz"
SETUPS = {
    "vit": ("mnist-5k", {}),
    "resnet18": (f"npz:{CIFAR_6K.resolve()}", {"width": 16}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--kinds", default=",".join(SETUPS))
    args = parser.parse_args()
    device = resolve_device(args.device)
    figures = {}
    with tempfile.TemporaryDirectory() as runs:
        for kind in args.kinds.split(","):
            dataset, settings = SETUPS[kind]
            found = measure(kind, args.epochs, device, Path(runs), dataset, settings)
            shown = " ".join(f"{k}={v}" for k, v in settings.items()) or "defaults"
            print(f"{kind} ({shown}, {dataset.rsplit('/', 1)[-1]}): hand loop "
                  f"{found['hand_images_per_s']:.0f} img/s, Trainer "
                  f"{found['trainer_images_per_s']:.0f} img/s; ratio {found['ratio']:.3f} "
                  f"(median of epochs; totals {found['total_ratio']:.3f})", flush=True)  # fmt: skip
            figures.update({f"{kind}_{name}": value for name, value in found.items()})
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
