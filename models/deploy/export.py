"""Exporting a run's model to a file another program runs: ONNX (optionally int8) or
TorchScript, checked against the run's PyTorch model before it is written.

The order is the one a person waits for least: the request is refused from the run's kind
description before any weights are read; the file is built and checked in memory; only a file
that matches is written (atomically), so a failed export never leaves a file behind.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.deploy.check import (
    ExportMismatch,
    Parity,
    compare,
    onnx_session,
    require_match,
    run_onnx,
)
from models.deploy.graphs import ExportRefused, Graph, example_inputs, graph_of, role_for_export
from models.deploy.onnx_file import metadata, onnx_bytes
from models.kinds.base import ImageModel
from models.kinds.description import CLASSIFIER, KindDescription
from models.runs.atomic import atomic_write_bytes
from models.runs.checkpoint import weights_step
from models.runs.folder import Run
from models.runs.open_model import check_role, open_model

FORMATS = ("onnx", "torchscript")
SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt"}
QUANTIZATIONS = ("int8",)
CHECK_INPUTS = 500  # the bundled digits' whole test split
MAX_ACCURACY_DROP = 0.5  # points an int8 file may lose on the test split before it is refused

Say = Callable[[str], None]


@dataclass(frozen=True)
class ExportResult:
    """What was written and how well it matches, as plain data (the studio shows it)."""

    output: str
    format: str
    purpose: str
    size_bytes: int
    parity: Parity
    lines: tuple[str, ...]  # everything said while exporting, in order
    quantized: tuple[str, ...] = ()  # the before/after lines of an int8 file


def check_request(run: Run, fmt: str, quantize: str | None = None) -> KindDescription:
    """The run's kind description when it can be exported as asked; refused (ExportRefused or
    RunRefused, one line) otherwise. Reads no weights."""
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown format {fmt!r}; choose {' or '.join(FORMATS)}")
    if quantize is not None:
        if quantize not in QUANTIZATIONS:
            raise ExportRefused(f"unknown quantisation {quantize!r}; choose int8")
        if fmt != "onnx":
            raise ExportRefused("int8 quantisation is made for ONNX files: use --format onnx")
        return check_role(run, CLASSIFIER)
    kind = check_role(run, None)
    role_for_export(kind)
    return kind


def _split_arrays(dataset, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    images, labels = dataset.split(split)
    return images.cpu().numpy(), None if labels is None else labels.cpu().numpy()


def _load_data(run: Run, say: Say):
    """The run's dataset (to check and calibrate a classifier on real images), or None."""
    from models.data.datasets import DatasetError, load_dataset

    name = run.config["dataset"]["name"]
    try:
        return load_dataset(name)
    except (DatasetError, OSError) as exc:
        say(f"the run's dataset {name} cannot be loaded ({exc}); checking on random images")
        return None


def check_inputs(graph: Graph, model: ImageModel, dataset) -> tuple[torch.Tensor, ...]:
    """A classifier is checked on its test images (the first CHECK_INPUTS), anything else on
    inputs from a fixed seed."""
    if graph.purpose == "classifier" and dataset is not None:
        images = dataset.split("test")[0][:CHECK_INPUTS].cpu()
        return (images.float().div_(255),)
    count = CHECK_INPUTS if graph.purpose == "classifier" else 16
    return example_inputs(graph, model, count, seed=1)


def torchscript_bytes(graph: Graph, inputs: tuple[torch.Tensor, ...]) -> bytes:
    """A traced TorchScript file (torch.jit.load runs it without the studio's code); torch
    marks TorchScript as deprecated in favour of torch.export, so its warnings are not shown."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        traced = torch.jit.trace(graph.module, inputs, check_trace=False)
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer)
    return buffer.getvalue()


def _check_torchscript(graph: Graph, data: bytes, inputs) -> Parity:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        loaded = torch.jit.load(io.BytesIO(data), map_location="cpu")

    def outputs(part):
        with torch.no_grad():
            return loaded(*part).float().numpy()

    return compare(graph, outputs, inputs)


def export_run(
    run: Run | str | Path,
    fmt: str,
    output: str | Path,
    *,
    quantize: str | None = None,
    say: Say = print,
    max_accuracy_drop: float = MAX_ACCURACY_DROP,
) -> ExportResult:
    """Export `run` to `output`, saying each stage in one line; ExportMismatch when the file
    does not compute what the model does (nothing is written then)."""
    run = run if isinstance(run, Run) else Run.open(run)
    output = Path(output).expanduser()
    said: list[str] = []

    def tell(line: str) -> None:
        said.append(line)
        say(line)

    kind = check_request(run, fmt, quantize)
    role = role_for_export(kind)
    model = open_model(run, role, device="cpu")
    graph = graph_of(model, kind)
    tell(f"exporting {run.name} ({model.title}) as a {graph.purpose}: {graph.description}")
    dataset = _load_data(run, tell) if graph.purpose == "classifier" else None
    inputs = check_inputs(graph, model, dataset)
    trace_inputs = tuple(t[:2] for t in example_inputs(graph, model, 2))
    step = weights_step(run)
    if fmt == "onnx":
        props = metadata(graph, model, run.name, step, run.config["dataset"].get("background"))
        data = onnx_bytes(graph, trace_inputs, props)
        session = onnx_session(data)
        parity = compare(graph, lambda part: run_onnx(session, graph.input_names, part), inputs)
    else:
        data = torchscript_bytes(graph, trace_inputs)
        parity = _check_torchscript(graph, data, inputs)
    tell(f"{fmt} against PyTorch, {parity.line()}")
    require_match(parity, graph.purpose, fmt)
    quantized_lines: tuple[str, ...] = ()
    if quantize == "int8":
        data, quantized_lines = _int8(data, dataset, max_accuracy_drop, tell)
    atomic_write_bytes(output, data)
    tell(f"wrote {output} ({len(data) / 1024:.1f} KiB)")
    return ExportResult(str(output), fmt, graph.purpose, len(data), parity, tuple(said),
                        quantized_lines)  # fmt: skip


def _int8(fp32: bytes, dataset, max_drop: float, tell: Say) -> tuple[bytes, tuple[str, ...]]:
    from models.deploy.quantize import quantize_classifier

    if dataset is None:
        raise ExportRefused("int8 needs the run's dataset (its training images calibrate the "
                            "8-bit ranges), and it cannot be loaded")  # fmt: skip
    train_images, _ = _split_arrays(dataset, "train")
    test_images, test_labels = _split_arrays(dataset, "test")
    if test_labels is None:
        raise ExportRefused("int8 needs a labelled test split to measure accuracy on")
    tell(f"quantising to int8, calibrated on {min(len(train_images), 512)} training images")
    result = quantize_classifier(fp32, train_images, test_images, test_labels)
    lines = tuple(result.lines())
    for line in lines:
        tell(line)
    if result.accuracy_drop_points > max_drop:
        raise ExportMismatch(
            f"the int8 file loses {result.accuracy_drop_points:.2f} points of test accuracy "
            f"(more than {max_drop:g}); it was not written: export without --quantize"
        )
    return result.data, lines
