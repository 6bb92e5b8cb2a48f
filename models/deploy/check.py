"""Does an exported file compute what the run's PyTorch model computes? Run both on the same
inputs and measure the largest difference (and, for a classifier, how often the top class is
the same): an export that does not match is not kept."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from models.deploy.graphs import Graph

# Largest difference accepted between the exported file and PyTorch, by what comes out:
# probabilities are compared to 1e-4 (float32 sums of a few thousand terms agree to ~1e-6);
# images and noise are in [0, 1] or about unit scale, where 1e-3 is invisible.
TOLERANCE = {"classifier": 1e-4, "decoder": 1e-3, "denoising step": 1e-3}


class ExportMismatch(ValueError):
    """The exported file computes something else than the run's model; it was not kept."""


@dataclass(frozen=True)
class Parity:
    compared: int  # how many inputs were compared
    max_difference: float
    same_top_class: int | None = None  # classifiers: inputs whose most likely class agrees

    def line(self) -> str:
        text = f"checked on {self.compared} inputs: max difference {self.max_difference:.2e}"
        if self.same_top_class is not None:
            text += f", same top class for {self.same_top_class}/{self.compared}"
        return text


def onnx_session(data: bytes, threads: int = 1):
    """An onnxruntime session of an ONNX file's bytes, on the CPU with `threads` threads (one
    by default: the machine is shared with the studio and its training)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initialisers are not for a person
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def run_onnx(session, names: tuple[str, ...], inputs: tuple[torch.Tensor, ...]) -> np.ndarray:
    feed = {name: tensor.cpu().numpy() for name, tensor in zip(names, inputs, strict=True)}
    return session.run(None, feed)[0]


def run_torch(graph: Graph, inputs: tuple[torch.Tensor, ...]) -> np.ndarray:
    with torch.no_grad():
        return graph.module(*inputs).float().cpu().numpy()


def batches(inputs: tuple[torch.Tensor, ...], size: int):
    total = int(inputs[0].shape[0])
    for begin in range(0, total, size):
        yield tuple(t[begin : begin + size] for t in inputs)


def compare(graph: Graph, outputs, inputs: tuple[torch.Tensor, ...], batch: int = 250) -> Parity:
    """`outputs(batch_inputs) -> np.ndarray` (an exported file run on them) against the
    graph's PyTorch outputs."""
    worst = 0.0
    same = 0
    for part in batches(inputs, batch):
        expected = run_torch(graph, part)
        got = np.asarray(outputs(part), dtype=np.float32)
        if got.shape != expected.shape:
            raise ExportMismatch(f"the exported file gives shape {got.shape}, PyTorch "
                                 f"{expected.shape}")  # fmt: skip
        worst = max(worst, float(np.abs(got - expected).max(initial=0.0)))
        if graph.purpose == "classifier":
            same += int((got.argmax(1) == expected.argmax(1)).sum())
    count = int(inputs[0].shape[0])
    return Parity(count, worst, same if graph.purpose == "classifier" else None)


def require_match(parity: Parity, purpose: str, file_kind: str) -> None:
    tolerance = TOLERANCE[purpose]
    if not np.isfinite(parity.max_difference) or parity.max_difference > tolerance:
        raise ExportMismatch(
            f"the {file_kind} file differs from the PyTorch model by up to "
            f"{parity.max_difference:.2e} (more than {tolerance:g}); it was not written"
        )


def images_per_second(run_batch, images: np.ndarray, batch: int = 250, repeats: int = 2) -> float:
    """Throughput of `run_batch(uint8-free float32 batch)` over `images`, best of `repeats`
    passes (the best pass is the one least disturbed by other work on the machine)."""
    best = float("inf")
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        for begin in range(0, len(images), batch):
            run_batch(images[begin : begin + batch])
        best = min(best, time.perf_counter() - started)
    return len(images) / max(best, 1e-9)
