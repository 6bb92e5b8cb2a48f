"""`image-studio quality`: a run's samples or a file of images, ending with name=value pairs;
bad input is one line and a non-zero exit."""

import numpy as np
import pytest

from models.data.datasets import load_mnist_5k
from studio.cli.main import main
from tests.models.quality_fixtures import (  # noqa: F401 - fixtures
    install_reference,
    quick_quality,
    tiny_reference_fixture,
)

FIGURES = ("fid", "kid", "precision", "recall", "class_min", "class_max", "class_entropy",
           "spread")  # fmt: skip


def cli(*args):
    return main([str(a) for a in args])


def last_line_figures(out: str) -> dict[str, float]:
    pairs = out.strip().splitlines()[-1].split()
    return {name: float(value) for name, value in (p.split("=") for p in pairs)}


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("image-studio: error: "), captured.err
    return lines[0]


@pytest.fixture
def runs(tmp_path, tiny_reference):
    install_reference(tmp_path / "runs", tiny_reference)
    return tmp_path / "runs"


@pytest.mark.usefixtures("quick_quality")
def test_images_from_a_file_are_measured_against_the_dataset(runs, tmp_path, capsys):
    data = load_mnist_5k()
    np.savez(tmp_path / "test.npz", images=data.test_images[:, 0].numpy())
    noise = np.random.default_rng(0).integers(0, 256, (500, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "noise.npz", images=noise)
    assert cli("quality", "--images", tmp_path / "test.npz", "--dataset", "mnist-5k",
               "--runs-dir", runs) == 0  # fmt: skip
    out = capsys.readouterr().out
    test = last_line_figures(out)
    assert set(FIGURES) <= set(test) and "class 7:" in out
    assert cli("quality", "--images", tmp_path / "noise.npz", "--dataset", "mnist-5k",
               "--runs-dir", runs) == 0  # fmt: skip
    noise_figures = last_line_figures(capsys.readouterr().out)
    assert noise_figures["fid"] > 5 * test["fid"]
    assert test["precision"] > noise_figures["precision"]


@pytest.mark.usefixtures("quick_quality")
def test_a_generative_run_is_measured_and_others_are_refused(trained_runs, tiny_reference,
                                                             capsys):  # fmt: skip
    if not (trained_runs["dcgan"].parent / ".reference").exists():  # a shared runs folder
        install_reference(trained_runs["dcgan"].parent, tiny_reference)
    assert cli("quality", trained_runs["dcgan"], "-n", "200") == 0
    figures = last_line_figures(capsys.readouterr().out)
    assert set(FIGURES) <= set(figures) and 0 <= figures["recall"] <= 1
    assert cli("quality", trained_runs["cnn"], "-n", "200") == 1
    assert "has no latent space" in one_line_error(capsys)
    assert cli("quality", trained_runs["dcgan"], "-n", "200", "--steps", "5") == 1
    assert "sampling steps" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("array", "dataset", "message"),
    [
        (np.zeros((10, 32, 32), np.uint8), "mnist-5k", "shape 10 x 32 x 32"),
        (np.zeros((10, 28, 28, 3), np.uint8), "mnist-5k", "shape 10 x 28 x 28 x 3"),
        (np.zeros((10, 28, 28), np.float32), "mnist-5k", "float32, not uint8"),
        (np.zeros((10, 28, 28), np.uint8), "no-such-data", "unknown dataset"),
    ],
)
def test_bad_images_get_one_line(tmp_path, capsys, array, dataset, message):
    np.savez(tmp_path / "x.npz", images=array)
    assert cli("quality", "--images", tmp_path / "x.npz", "--dataset", dataset) == 1
    assert message in one_line_error(capsys)


def test_bad_requests_get_one_line(tmp_path, capsys):
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert cli("quality", "--images", tmp_path / "junk.npz", "--dataset", "mnist-5k") == 1
    assert "not a readable .npz" in one_line_error(capsys)
    assert cli("quality") == 1
    assert "give a run" in one_line_error(capsys)
    assert cli("quality", "--images", tmp_path / "junk.npz") == 1
    assert "--dataset" in one_line_error(capsys)
    assert cli("quality", tmp_path / "nowhere") == 1
    assert "no run" in one_line_error(capsys)
    assert cli("train", "--kind", "dcgan", "--quality-every", "soon") == 1
    assert "quality interval 'soon'" in one_line_error(capsys)
