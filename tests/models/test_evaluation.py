"""Test-set evaluation and nearest training images: counts, precision and recall by hand, and
the batch classifier's extra evidence (model-ready pixels, entropy, thumbnails, pictures)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from models.analysis.evaluation import (
    EvaluationStopped,
    confusion_matrix,
    evaluate_test_set,
    feature_matrix,
    nearest,
)
from models.data.datasets import load_mnist_5k
from models.inference.classify import classify_file_batches, classify_pictures
from models.inference.file_results import entropy_bits
from models.runs.checkpoint import build_model
from tests.models.test_images import write_bad_files


@pytest.fixture(scope="module")
def untrained():
    config = {"kind": "cnn", "dataset": load_mnist_5k().describe(), "hyperparameters": {"width": 4}}
    model = build_model(config, torch.device("cpu"))
    model.train_mode(False)
    return model


def test_confusion_matrix_precision_and_recall_by_hand():
    from models.analysis.evaluation import TestEvaluation

    true = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2])
    confusion = confusion_matrix(true, predicted, 3)
    assert confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    result = TestEvaluation(("a", "b", "c"), true, predicted, np.ones(6, np.float32), confusion)
    assert result.accuracy == pytest.approx(4 / 6)
    np.testing.assert_allclose(result.precision, [1.0, 0.5, 0.5])
    np.testing.assert_allclose(result.recall, [2 / 3, 0.5, 1.0])
    assert result.cell(0, 1).tolist() == [2]
    assert result.cell(1, 2).tolist() == [4]


def test_evaluate_test_set_counts_every_test_image(untrained):
    dataset = load_mnist_5k()
    images, labels = dataset.split("test")
    result = evaluate_test_set(untrained, images[:120], labels[:120], batch_size=50)
    assert result.confusion.shape == (10, 10)
    assert int(result.confusion.sum()) == 120
    assert result.confusion.sum(axis=1).tolist() == np.bincount(labels[:120], minlength=10).tolist()
    expected = untrained.classify(images[:120].float() / 255).argmax(1).numpy()
    assert result.predicted.tolist() == expected.tolist()


def test_evaluation_can_be_stopped(untrained):
    images, labels = load_mnist_5k().split("test")
    answers = iter([False, True])
    with pytest.raises(EvaluationStopped):
        evaluate_test_set(
            untrained, images, labels, batch_size=100, should_stop=lambda: next(answers)
        )


def test_nearest_finds_an_image_itself_first(untrained):
    images, _ = load_mnist_5k().split("train")
    features = feature_matrix(untrained, images[:200], batch_size=64)
    assert features.shape[0] == 200
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    index, similarity = nearest(features, features[17], k=3)
    assert index[0] == 17 and similarity[0] == pytest.approx(1.0, abs=1e-5)
    assert len(index) == 3 and list(similarity) == sorted(similarity, reverse=True)


def test_batches_carry_model_pixels_entropy_and_thumbnails(tmp_path, untrained):
    images, _ = load_mnist_5k().split("test")
    paths = []
    for i in range(5):
        path = tmp_path / f"{i}.png"
        Image.fromarray(255 - images[i, 0].numpy()).save(path)  # dark on white paper
        paths.append(path)
    colour = tmp_path / "colour.png"
    Image.fromarray(np.stack([images[5, 0].numpy()] * 3, axis=-1) // 2 + 60).resize((90, 60)).save(
        colour
    )
    bad = list(write_bad_files(tmp_path / "bad", images[0, 0].numpy()).values())
    batches = list(
        classify_file_batches(
            untrained, [*paths, colour, *bad], batch_size=4, background=0.0, thumbnail_size=48
        )
    )
    assert [len(b) for b in batches][:2] == [4, 4]
    results = [r for batch in batches for r in batch]
    assert len(results) == 6 + len(bad)
    for result, source in zip(results[:5], images[:5, 0].numpy(), strict=True):
        assert result.inverted
        assert result.pixels.shape == (28, 28, 1)
        np.testing.assert_array_equal(result.pixels[..., 0], source)  # inverted back
        assert result.thumbnail.shape == (28, 28, 3)
        assert 0.0 <= result.entropy <= math.log2(10) + 1e-6
    assert results[5].thumbnail.shape == (32, 48, 3)  # the file's proportions, in colour
    assert any("resized" in step for step in results[5].steps)
    assert all(r.reason and r.pixels is None for r in results[6:])


def test_pasted_pictures_are_classified_like_files(tmp_path, untrained):
    digit = Image.fromarray(load_mnist_5k().split("test")[0][3, 0].numpy())
    path = tmp_path / "digit.png"
    digit.save(path)
    (from_file,) = classify_pictures(untrained, [("pasted", digit.convert("RGBA"))])
    (batch,) = list(classify_file_batches(untrained, [path]))
    assert from_file.path == "pasted"
    assert from_file.labels == batch[0].labels
    np.testing.assert_allclose(from_file.probabilities, batch[0].probabilities, atol=1e-5)


def test_entropy_bits():
    assert entropy_bits([1.0, 0.0]) == 0.0
    assert entropy_bits([0.25] * 4) == pytest.approx(2.0)
