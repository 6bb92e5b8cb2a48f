"""Classifying a person's files: every file gets a result or a one-line reason, good files are
classified, light-background digits are inverted, and the CSV says it all."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.data.datasets import load_mnist_5k
from models.inference.classify import FileResult, classify_files, expand_paths, write_csv
from models.kinds.base import CapabilityError
from models.runs.checkpoint import build_model, load_model
from models.runs.folder import Run
from models.training import reports
from models.training.trainer import Trainer, TrainRequest
from tests.models.test_images import write_bad_files, write_odd_good_files

# Tiny, but it must really learn: the accuracy and inversion tests need correct answers.
TINY_CNN = {"batch_size": 32, "width": 8, "learning_rate": 0.1, "max_shift": 0}


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    dataset = load_mnist_5k()
    return dataset.test_images[:, 0].numpy(), dataset.test_labels.numpy()


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[object, float]:
    """A tiny CNN trained for one epoch on mnist-5k, and its data's background level."""
    request = TrainRequest(
        kind="cnn",
        dataset="mnist-5k",
        hyperparameters=TINY_CNN,
        epochs=1,
        device="cpu",
        runs_dir=tmp_path_factory.mktemp("classify-runs"),
        sample_every=1000,
    )
    run_dir = None
    for report in Trainer(request).run():
        if isinstance(report, reports.Started):
            run_dir = report.run_dir
    assert run_dir is not None
    run = Run.open(run_dir)
    return load_model(run, "cpu"), float(run.config["dataset"]["background"])


@pytest.fixture(scope="module")
def untrained():
    """An untrained CNN: enough for tests that only need shapes and bookkeeping."""
    dataset = load_mnist_5k()
    config = {
        "kind": "cnn",
        "dataset": dataset.describe(),
        "hyperparameters": {"width": 4},
    }
    model = build_model(config, torch.device("cpu"))
    model.train_mode(False)
    return model


def save_digits(folder: Path, images: np.ndarray, labels: np.ndarray, invert=False) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        path = folder / f"{index:03d}-{label}.png"
        Image.fromarray(255 - image if invert else image).save(path)
        paths.append(path)
    return paths


def true_label(path: str) -> str:
    return Path(path).stem.split("-")[-1]


def check_classified(result: FileResult, top_k: int = 3) -> None:
    assert result.reason is None, result
    assert len(result.labels) == top_k
    assert len(result.probabilities) == top_k
    assert all(label in "0123456789" for label in result.labels)
    assert list(result.probabilities) == sorted(result.probabilities, reverse=True)
    assert result.probabilities[-1] >= 0.0 and sum(result.probabilities) <= 1.0 + 1e-5


# --- bad input among good files -----------------------------------------------------------


def test_every_file_gets_a_result_or_a_one_line_reason(tmp_path, digits, trained):
    model, background = trained
    images, labels = digits
    good = save_digits(tmp_path / "good", images[:8], labels[:8])
    bad = write_bad_files(tmp_path / "bad", images[0])
    odd = write_odd_good_files(tmp_path / "odd", images[1])
    # Bad files interleaved with good ones, in an order the results must keep.
    paths = []
    for index, path in enumerate(bad.values()):
        paths += [good[index % len(good)], path]
    paths += list(odd.values()) + good

    results = list(classify_files(model, paths, background=background, batch_size=5))

    assert [r.path for r in results] == [str(p) for p in paths]
    bad_paths = {str(p) for p in bad.values()}
    for result in results:
        if result.path in bad_paths:
            assert result.reason and "\n" not in result.reason, result
            assert result.labels == () and result.probabilities == ()
        else:
            check_classified(result)
            assert not result.inverted  # all white-on-black, like the training data
    odd_results = [r for r in results if r.path in {str(p) for p in odd.values()}]
    assert sum(r.labels[0] == str(labels[1]) for r in odd_results) >= len(odd) - 2
    by_path = {r.path: r for r in results}
    assert "used the first of 2 frames" in by_path[str(odd["animated"])].steps
    assert any("EXIF" in step for step in by_path[str(odd["exif-rotated"])].steps)


def test_good_files_are_classified_correctly(tmp_path, digits, trained):
    model, background = trained
    images, labels = digits
    paths = save_digits(tmp_path, images[:50], labels[:50])
    results = list(classify_files(model, paths, background=background))
    assert len(results) == 50
    for result in results:
        check_classified(result)
    correct = sum(r.labels[0] == true_label(r.path) for r in results)
    assert correct >= 40, f"only {correct} of 50 digits classified correctly"


def test_dark_digits_on_white_paper_are_inverted(tmp_path, digits, trained):
    model, background = trained
    assert background < 0.5  # MNIST: white strokes on black
    images, labels = digits
    plain = save_digits(tmp_path / "plain", images[:20], labels[:20])
    paper = save_digits(tmp_path / "paper", images[:20], labels[:20], invert=True)

    originals = list(classify_files(model, plain, background=background))
    inverted = list(classify_files(model, paper, background=background))

    assert not any(r.inverted for r in originals)
    assert all(r.inverted for r in inverted)
    assert all(any("inverted" in step for step in r.steps) for r in inverted)
    for original, flipped in zip(originals, inverted, strict=True):
        assert flipped.labels[0] == original.labels[0]
        assert flipped.probabilities[0] == pytest.approx(original.probabilities[0], abs=1e-5)


def test_colour_digits_are_stretched_to_white_on_black(tmp_path, digits, trained):
    """Orange strokes on a blue background are grey on grey once converted: the levels are
    stretched so the model sees what it was trained on, and the file's steps say so."""
    model, background = trained
    images, labels = digits
    ink, paper = np.array([255, 165, 0], float), np.array([30, 60, 200], float)
    folder = tmp_path / "colour"
    folder.mkdir()
    paths = []
    for i, (image, label) in enumerate(zip(images[:20], labels[:20], strict=True)):
        alpha = image.astype(float)[..., None] / 255.0
        rgb = np.rint(alpha * ink + (1 - alpha) * paper).astype(np.uint8)
        path = folder / f"{i:03d}-label{label}.png"
        Image.fromarray(rgb, "RGB").save(path)
        paths.append(path)
    plain = save_digits(tmp_path / "plain", images[:20], labels[:20])

    originals = list(classify_files(model, plain, background=background))
    coloured = list(classify_files(model, paths, background=background))

    assert not any(any("stretched" in step for step in r.steps) for r in originals)
    assert all(any("stretched" in step for step in r.steps) for r in coloured)
    same = sum(c.labels[0] == o.labels[0] for c, o in zip(coloured, originals, strict=True))
    assert same >= 18, f"only {same} of 20 coloured digits read like their originals"
    assert all(r.pixels[..., 0].max() == 255 and r.pixels[0, 0, 0] <= 5 for r in coloured)


def test_without_a_background_nothing_is_inverted(tmp_path, digits, untrained):
    images, labels = digits
    paper = save_digits(tmp_path, images[:4], labels[:4], invert=True)
    assert not any(r.inverted for r in classify_files(untrained, paper))


def test_photos_are_never_inverted_whatever_their_border(tmp_path, digits, untrained):
    # A photo data set's border averages near mid-grey (CIFAR-10: 0.58): a dark photo is
    # classified as it is, not turned into its negative.
    images, labels = digits
    dark = save_digits(tmp_path / "dark", images[:4], labels[:4])
    light = save_digits(tmp_path / "light", images[:4], labels[:4], invert=True)
    for background in (0.42, 0.5833):
        results = list(classify_files(untrained, dark + light, background=background))
        assert not any(r.inverted for r in results)


def test_light_training_data_inverts_dark_paper_files(tmp_path, digits, untrained):
    images, labels = digits
    plain = save_digits(tmp_path, images[:4], labels[:4])
    assert all(r.inverted for r in classify_files(untrained, plain, background=0.9))


# --- batching, order, stopping, options -------------------------------------------------


def test_batch_size_does_not_change_the_results(tmp_path, digits, untrained):
    images, labels = digits
    paths = save_digits(tmp_path, images[:10], labels[:10])
    paths.insert(3, tmp_path / "missing.png")
    one_batch = list(classify_files(untrained, paths, batch_size=256))
    small = list(classify_files(untrained, paths, batch_size=3))
    assert [r.path for r in small] == [str(p) for p in paths]
    assert small[3].reason and "cannot read file" in small[3].reason
    for a, b in zip(one_batch, small, strict=True):
        assert a.labels == b.labels
        np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-5)


def test_should_stop_ends_early_with_the_files_so_far(tmp_path, digits, untrained):
    images, labels = digits
    paths = save_digits(tmp_path, images[:10], labels[:10])
    asked = 0

    def should_stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > 4

    results = list(classify_files(untrained, paths, batch_size=3, should_stop=should_stop))
    assert [r.path for r in results] == [str(p) for p in paths[:4]]
    for result in results:
        check_classified(result)


def test_top_k_is_capped_by_the_number_of_classes(tmp_path, digits, untrained):
    images, labels = digits
    paths = save_digits(tmp_path, images[:2], labels[:2])
    (one,) = list(classify_files(untrained, paths[:1], top_k=1))
    check_classified(one, top_k=1)
    (every,) = list(classify_files(untrained, paths[:1], top_k=20))
    assert sorted(every.labels) == [str(i) for i in range(10)]
    assert sum(every.probabilities) == pytest.approx(1.0, abs=1e-4)


def test_a_model_that_cannot_classify_is_refused(tmp_path):
    config = {"kind": "vae", "dataset": load_mnist_5k().describe(), "hyperparameters": {}}
    vae = build_model(config, torch.device("cpu"))
    with pytest.raises(CapabilityError):
        list(classify_files(vae, [tmp_path / "x.png"]))


def test_expand_paths_finds_images_in_folders_and_keeps_plain_files(tmp_path, digits):
    images, labels = digits
    save_digits(tmp_path / "scans" / "b", images[:2], labels[:2])
    save_digits(tmp_path / "scans" / "a", images[:1], labels[:1])
    (tmp_path / "scans" / "readme.txt").write_text("not an image")
    note = tmp_path / "note.txt"
    note.write_text("given by name, so it gets a row")
    missing = tmp_path / "missing.png"

    expanded = expand_paths([note, tmp_path / "scans", str(missing)])

    scans = tmp_path / "scans"
    assert expanded == [
        note,
        scans / "a" / f"000-{labels[0]}.png",
        scans / "b" / f"000-{labels[0]}.png",
        scans / "b" / f"001-{labels[1]}.png",
        missing,
    ]


# --- CSV ----------------------------------------------------------------------------------


def test_write_csv_has_a_header_and_reasons_only_for_failures(tmp_path, digits, untrained):
    images, labels = digits
    paths = save_digits(tmp_path / "in", images[:3], labels[:3])
    (tmp_path / "in" / "empty.png").write_bytes(b"")
    (tmp_path / "in" / "notes.txt").write_text("hello")
    paths += [tmp_path / "in" / "empty.png", tmp_path / "in" / "notes.txt"]
    out = tmp_path / "out" / "results.csv"

    count = write_csv(classify_files(untrained, paths, top_k=2), out, top_k=2)

    assert count == 5
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["path", "label", "probability", "label_2", "probability_2", "reason"]
    assert [row[0] for row in rows[1:]] == [str(p) for p in paths]
    for row in rows[1:4]:
        assert row[1] in "0123456789" and row[3] in "0123456789"
        assert 0.0 <= float(row[4]) <= float(row[2]) <= 1.0
        assert row[5] == ""
    for row in rows[4:]:
        assert row[1:5] == ["", "", "", ""]
        assert row[5]
    assert "empty file" in rows[4][5]
    assert "not an image" in rows[5][5]
    assert [p.name for p in out.parent.iterdir()] == ["results.csv"]


def test_write_csv_leaves_no_partial_file_when_interrupted(tmp_path):
    out = tmp_path / "results.csv"
    out.write_text("previous,results\n")

    def results():
        yield FileResult("a.png", ("1",), (0.9,))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_csv(results(), out, top_k=1)
    assert out.read_text() == "previous,results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]
