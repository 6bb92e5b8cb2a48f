"""A graph as the bytes of an ONNX file, with the run's preprocessing written into the file's
metadata (metadata_props), so a program that never saw the studio knows how to feed it."""

from __future__ import annotations

import io
import json
import warnings

import torch

from models.deploy.graphs import Graph
from models.kinds.base import ImageModel

# The oldest opset torch's exporter writes natively (older ones are converted, and not every
# operation converts); every onnxruntime since 1.16 runs it.
OPSET = 18
PREFIX = "image_studio."


def metadata(graph: Graph, model: ImageModel, run_name: str, step: int | None,
             background: float | None) -> dict[str, str]:  # fmt: skip
    """What a program needs to prepare its images and read the outputs, as text."""
    channels, height, width = model.image_shape
    props = {
        "run": run_name,
        "kind": model.kind,
        "model": model.title,
        "purpose": graph.purpose,
        "signature": graph.description,
        "input_shape": json.dumps([channels, height, width]),
        "layout": "NCHW (batch, channels, height, width)",
        "channel_order": "grey" if channels == 1 else "RGB",
        "class_names": json.dumps(list(model.class_names)),
        "step": "" if step is None else str(step),
    }
    if graph.purpose == "classifier":
        props["value_range"] = "float32 in [0, 1]: 8-bit pixels divided by 255"
        props["background"] = "" if background is None else f"{float(background):.4f}"
        props["background_note"] = (
            "mean border level of the training images in [0, 1]; when it is below 0.2 or "
            "above 0.8, invert an image whose own border mean is on the other side of 0.5 "
            "before classifying it, as the studio does"
        )
        props["output"] = "probabilities (N, classes), in the order of class_names"
    elif graph.purpose == "decoder":
        props["value_range"] = "output images float32 in [0, 1]"
        props["latent_dim"] = str(model.latent_dim)
        props["output"] = "images (N, C, H, W) in [0, 1]"
    else:
        props["value_range"] = "sample float32 in [-1, 1] (image * 2 - 1); noise about unit scale"
        props["alphas_cumprod"] = json.dumps([round(float(a), 8) for a in graph.module.alphas])
        props["output"] = "the noise predicted in the sample (epsilon), for any sampler"
    return {PREFIX + key: value for key, value in props.items()}


def onnx_bytes(graph: Graph, inputs: tuple[torch.Tensor, ...], props: dict[str, str]) -> bytes:
    """The graph traced on `inputs`, with a free batch size, as ONNX bytes with `props`."""
    import onnx

    buffer = io.BytesIO()
    axes = {name: {0: "batch"} for name in (*graph.input_names, *graph.output_names)}
    with warnings.catch_warnings(), torch.no_grad():
        # torch.export's exporter: the TorchScript-based one cannot write the classifier's
        # pooling to a 3 x 3 grid of a 7 x 7 map (not a whole factor).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            graph.module, inputs, buffer, input_names=list(graph.input_names),
            output_names=list(graph.output_names), dynamic_axes=axes, opset_version=OPSET,
            do_constant_folding=True, dynamo=True, verbose=False,
        )  # fmt: skip
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.helper.set_model_props(proto, props)
    proto.producer_name = "image-studio"
    return proto.SerializeToString()


def read_metadata(data: bytes) -> dict[str, str]:
    """An ONNX file's metadata_props as a dict (prefix included)."""
    import onnx

    proto = onnx.load_from_string(data)
    return {p.key: p.value for p in proto.metadata_props}
