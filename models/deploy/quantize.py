"""Post-training int8 quantisation of a classifier's ONNX file (onnxruntime's static
quantisation): weights and activations become 8-bit integers, with the activations' ranges
calibrated on images of the training split, and the result is measured against the float file
on the test split (accuracy, size, images per second)."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.deploy.check import images_per_second, onnx_session

CALIBRATION_IMAGES = 512  # enough for stable activation ranges; calibration is ~1 s for a CNN
CALIBRATION_BATCH = 64


@dataclass(frozen=True)
class Measured:
    """A file's figures on the test split."""

    accuracy: float  # 0..1
    size_bytes: int
    images_per_second: float


@dataclass(frozen=True)
class Quantized:
    data: bytes
    before: Measured
    after: Measured

    @property
    def accuracy_drop_points(self) -> float:
        return 100.0 * (self.before.accuracy - self.after.accuracy)

    def lines(self) -> list[str]:
        b, a = self.before, self.after
        return [
            f"accuracy on the test split: {b.accuracy:.2%} float32 -> {a.accuracy:.2%} int8",
            f"file size: {b.size_bytes / 1024:.1f} KiB -> {a.size_bytes / 1024:.1f} KiB",
            f"speed (1 thread): {b.images_per_second:.0f} -> {a.images_per_second:.0f} images/s",
        ]


class _Calibration:
    """onnxruntime's CalibrationDataReader protocol over float images in batches."""

    def __init__(self, name: str, images: np.ndarray):
        self.name = name
        self.parts = iter(
            [images[i : i + CALIBRATION_BATCH] for i in range(0, len(images), CALIBRATION_BATCH)]
        )

    def get_next(self):
        part = next(self.parts, None)
        return None if part is None else {self.name: part}

    def rewind(self):  # older onnxruntime versions call it; one pass is all that is needed
        pass


def as_float(images: np.ndarray) -> np.ndarray:
    """uint8 (N, C, H, W) -> float32 in [0, 1], as the exported classifier takes them."""
    return np.ascontiguousarray(images, dtype=np.float32) / np.float32(255.0)


def accuracy(session, images: np.ndarray, labels: np.ndarray, batch: int = 250) -> float:
    name = session.get_inputs()[0].name
    correct = 0
    for begin in range(0, len(images), batch):
        probs = session.run(None, {name: as_float(images[begin : begin + batch])})[0]
        correct += int((probs.argmax(1) == labels[begin : begin + batch]).sum())
    return correct / max(len(images), 1)


def measure(data: bytes, test_images: np.ndarray, test_labels: np.ndarray) -> Measured:
    session = onnx_session(data)
    name = session.get_inputs()[0].name
    floats = as_float(test_images)
    speed = images_per_second(lambda part: session.run(None, {name: part}), floats)
    return Measured(accuracy(session, test_images, test_labels), len(data), speed)


def calibration_images(train_images: np.ndarray, count: int = CALIBRATION_IMAGES,
                       seed: int = 0) -> np.ndarray:  # fmt: skip
    """A fixed random choice of training images (uint8 N, C, H, W), as float32."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(train_images), size=min(count, len(train_images)), replace=False)
    return as_float(train_images[np.sort(chosen)])


def quantize_int8(fp32: bytes, calibration: np.ndarray) -> bytes:
    """The int8 file of a float32 ONNX classifier: per-channel int8 weights, uint8
    activations with ranges from `calibration` (float32 images), QDQ format (which every
    execution provider reads), the metadata kept."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    logging.getLogger("root").setLevel(logging.ERROR)  # its per-node chatter is not for a person
    with tempfile.TemporaryDirectory(prefix="image-studio-int8-") as folder:
        source, prepared, target = (Path(folder) / n for n in ("fp32.onnx", "pre.onnx", "q.onnx"))
        source.write_bytes(fp32)
        # Folds and fuses (batch norm into convolutions, ...) before ranges are taken, so each
        # fused operation is quantised once instead of at every step inside it.
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        name = onnx_session(fp32).get_inputs()[0].name
        quantize_static(
            str(prepared), str(target), _Calibration(name, calibration),
            quant_format=QuantFormat.QDQ, per_channel=True, weight_type=QuantType.QInt8,
            activation_type=QuantType.QUInt8,
        )  # fmt: skip
        quantized = onnx.load(str(target))
    original = onnx.load_from_string(fp32)
    del quantized.metadata_props[:]
    quantized.metadata_props.extend(original.metadata_props)
    entry = quantized.metadata_props.add()
    entry.key = "image_studio.quantized"
    entry.value = "int8 (static, activations calibrated on training images)"
    return quantized.SerializeToString()


def quantize_classifier(fp32: bytes, train_images: np.ndarray, test_images: np.ndarray,
                        test_labels: np.ndarray) -> Quantized:  # fmt: skip
    """Quantise and measure both files on the test split (images uint8 N, C, H, W)."""
    data = quantize_int8(fp32, calibration_images(train_images))
    before = measure(fp32, test_images, test_labels)
    after = measure(data, test_images, test_labels)
    return Quantized(data, before, after)
