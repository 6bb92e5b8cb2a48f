"""Does a CNN run's ONNX file compute what PyTorch does, and what does int8 cost?

1. `export_run(RUN, "onnx")` writes the float32 file (checked on export), then onnxruntime
   and the run's PyTorch model classify the bundled digits' 500 test images: how many get the
   same top class, and the largest difference of any probability.
2. The file is quantised to int8 (static, calibrated on 512 training images) and both files
   are measured on the same 500 digits: accuracy, file size and images/s (one thread, the
   best of two passes).

Ends with one line of name=value pairs.

    PYTHONPATH=. .venv/bin/python benchmarks/export_check.py RUN
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a trained CNN run on mnist-5k")
    args = parser.parse_args()
    torch.set_num_threads(1)

    from models.data.datasets import load_dataset
    from models.deploy.check import onnx_session
    from models.deploy.export import export_run
    from models.deploy.quantize import quantize_classifier
    from models.runs.folder import Run
    from models.runs.open_model import open_model

    run = Run.open(args.run)
    dataset = load_dataset(run.config["dataset"]["name"])
    test_images = dataset.test_images[:500]
    test_labels = dataset.test_labels[:500].numpy()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "model.onnx"
        export_run(run, "onnx", target, say=lambda line: print(f"  {line}"))
        fp32 = target.read_bytes()

    floats = test_images.float() / 255
    expected = open_model(run, device="cpu").classify(floats).numpy()
    got = onnx_session(fp32).run(None, {"images": floats.numpy()})[0]
    same = int((got.argmax(1) == expected.argmax(1)).sum())
    worst = float(np.abs(got - expected).max())
    print(f"ONNX vs PyTorch on {len(got)} test digits: same top class for {same}, "
          f"max probability difference {worst:.2e}")  # fmt: skip

    q = quantize_classifier(fp32, dataset.train_images.numpy(), test_images.numpy(), test_labels)
    for line in q.lines():
        print(line)
    b, a = q.before, q.after
    pairs = {
        "n": len(got), "same_top_class": same, "max_prob_diff": f"{worst:.3g}",
        "fp32_accuracy": f"{100 * b.accuracy:.2f}", "int8_accuracy": f"{100 * a.accuracy:.2f}",
        "accuracy_drop_points": f"{q.accuracy_drop_points:.2f}",
        "fp32_kib": f"{b.size_bytes / 1024:.1f}", "int8_kib": f"{a.size_bytes / 1024:.1f}",
        "fp32_images_per_s": f"{b.images_per_second:.0f}",
        "int8_images_per_s": f"{a.images_per_second:.0f}",
    }  # fmt: skip
    print(" ".join(f"{k}={v}" for k, v in pairs.items()))


if __name__ == "__main__":
    main()
