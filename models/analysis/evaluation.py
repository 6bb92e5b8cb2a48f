"""Evidence for or against a classifier: its test-set confusion matrix with per-class
precision and recall, and the training images nearest to an input in its feature space."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from models.kinds.base import Capability, CapabilityError, ImageModel

ShouldStop = Callable[[], bool]


class EvaluationStopped(RuntimeError):
    """should_stop() returned True part way through."""


@dataclass(frozen=True)
class TestEvaluation:
    """Predictions on a test split. confusion[t, p] counts images of class t predicted as p."""

    class_names: tuple[str, ...]
    true: np.ndarray  # int64 (N,)
    predicted: np.ndarray  # int64 (N,)
    confidence: np.ndarray  # float32 (N,), probability of the predicted class
    confusion: np.ndarray  # int64 (C, C)

    @property
    def accuracy(self) -> float:
        total = int(self.confusion.sum())
        return float(np.trace(self.confusion)) / total if total else 0.0

    @property
    def precision(self) -> np.ndarray:
        """Per class: of the images predicted as it, the share that are it (NaN if none)."""
        predicted = self.confusion.sum(axis=0).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(predicted > 0, np.diag(self.confusion) / predicted, np.nan)

    @property
    def recall(self) -> np.ndarray:
        """Per class: of its images, the share predicted as it (NaN if the class has none)."""
        actual = self.confusion.sum(axis=1).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(actual > 0, np.diag(self.confusion) / actual, np.nan)

    def cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of the test images in one cell of the confusion matrix."""
        return np.flatnonzero((self.true == true_class) & (self.predicted == predicted_class))


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    flat = np.asarray(true, dtype=np.int64) * classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def _batches(images: torch.Tensor, batch_size: int, should_stop: ShouldStop | None):
    """uint8 (N, C, H, W) in slices, as floats in [0, 1] (what models take)."""
    for begin in range(0, images.shape[0], batch_size):
        if should_stop is not None and should_stop():
            raise EvaluationStopped("stopped")
        yield images[begin : begin + batch_size].float().div_(255.0)


def evaluate_test_set(
    model: ImageModel,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    batch_size: int = 500,
    should_stop: ShouldStop | None = None,
) -> TestEvaluation:
    """Classify uint8 test images (N, C, H, W) with known labels."""
    if not model.can(Capability.CLASSIFY):
        raise CapabilityError(f"a {model.title} does not classify images")
    predicted, confidence = [], []
    with torch.inference_mode():
        for batch in _batches(images, batch_size, should_stop):
            probs = model.classify(batch.to(model.device)).float().cpu()
            top_p, top_i = probs.max(dim=1)
            predicted.append(top_i.numpy())
            confidence.append(top_p.numpy())
    classes = len(model.class_names)
    true = labels.cpu().numpy().astype(np.int64)
    guessed = np.concatenate(predicted).astype(np.int64) if predicted else np.zeros(0, np.int64)
    return TestEvaluation(
        class_names=tuple(model.class_names),
        true=true,
        predicted=guessed,
        confidence=np.concatenate(confidence) if confidence else np.zeros(0, np.float32),
        confusion=confusion_matrix(true, guessed, classes),
    )


def feature_matrix(
    model: ImageModel,
    images: torch.Tensor,
    *,
    batch_size: int = 500,
    should_stop: ShouldStop | None = None,
) -> np.ndarray:
    """Unit-length feature vectors (N, D) of uint8 images (N, C, H, W): a dot product of two
    rows is their cosine similarity, the usual nearness in a classifier's feature space."""
    parts = []
    with torch.inference_mode():
        for batch in _batches(images, batch_size, should_stop):
            features = model.features(batch.to(model.device)).float()
            parts.append(torch.nn.functional.normalize(features, dim=1).cpu().numpy())
    return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


def nearest(
    train_features: np.ndarray, query: np.ndarray, k: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the k rows of `train_features` most similar to the unit vector `query`,
    most similar first, and their cosine similarities."""
    similarity = train_features @ query
    k = min(k, similarity.shape[0])
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    best = np.argpartition(-similarity, k - 1)[:k]
    best = best[np.argsort(-similarity[best])]
    return best.astype(np.int64), similarity[best]
