"""`npz:PATH` datasets: the Keras layout read as it is, and every malformed archive refused
with one line that says what is wrong."""

from pathlib import Path

import numpy as np
import pytest
import torch

from models.data.datasets import DatasetError, load_dataset

CIFAR_6K = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "cifar10-6k.npz"


def write_archive(path, **arrays):
    np.savez(path, **arrays)
    return f"npz:{path}"


def keras_like(train=12, test=4, shape=(10, 10), classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (train, *shape), dtype=np.uint8),
        "y_train": np.arange(train) % classes,
        "x_test": rng.integers(0, 256, (test, *shape), dtype=np.uint8),
        "y_test": np.arange(test) % classes,
    }


def test_the_shared_cifar_subset_loads_in_the_keras_layout():
    data = load_dataset(f"npz:{CIFAR_6K}")
    assert data.info.image_shape == (3, 32, 32)
    assert (data.num_train, data.num_test) == (5000, 1000)
    assert data.info.class_names[:3] == ("airplane", "automobile", "bird")
    assert torch.bincount(data.train_labels).tolist() == [500] * 10
    assert data.info.flips_keep_label  # colour photos: a mirrored cat is a cat
    with np.load(CIFAR_6K) as raw:
        first = raw["x_train"][0]
        last_test = raw["x_test"][-1]
    assert np.array_equal(data.train_images[0].permute(1, 2, 0).numpy(), first)
    assert np.array_equal(data.test_images[-1].permute(1, 2, 0).numpy(), last_test)
    assert data.name == f"npz:{CIFAR_6K.resolve()}"


def test_grayscale_images_without_class_names_are_numbered_and_never_flipped(tmp_path):
    name = write_archive(tmp_path / "digits.npz", **keras_like())
    data = load_dataset(name)
    assert data.info.image_shape == (1, 10, 10)
    assert data.info.class_names == ("0", "1", "2")
    assert not data.info.flips_keep_label
    assert (data.num_train, data.num_test) == (12, 4)
    assert data.test_labels.tolist() == [0, 1, 2, 0]


def test_keras_cifar_labels_of_shape_n_by_1_and_byte_class_names_are_read(tmp_path):
    arrays = keras_like(shape=(8, 8, 3))
    arrays["y_train"] = arrays["y_train"][:, None].astype(np.uint8)
    arrays["classes"] = np.array([b"cat", b"dog", b"emu"])
    data = load_dataset(write_archive(tmp_path / "pets.npz", **arrays))
    assert data.info.image_shape == (3, 8, 8)
    assert data.info.class_names == ("cat", "dog", "emu")
    assert data.train_labels.tolist() == [0, 1, 2] * 4


def broken(change):
    arrays = keras_like()
    change(arrays)
    return arrays


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (broken(lambda a: a.pop("y_test")), "has no y_test array"),
        (broken(lambda a: a.update(y_train=a["y_train"][:-1])),
         "x_train has 12 images but y_train has 11 labels"),
        (broken(lambda a: a.update(x_test=a["x_test"][:, :8])),
         "x_train images are 10 x 10 but x_test images are 8 x 10"),
        (broken(lambda a: a.update(x_train=a["x_train"].reshape(12, 100))),
         "x_train has shape \\(12, 100\\); images must be N x H x W"),
        (broken(lambda a: a.update(x_train=np.zeros((12, 10, 10, 2), np.uint8))),
         "C = 1 or 3"),
        (broken(lambda a: a.update(x_test=a["x_test"].astype(np.float32))),
         "x_test is float32; images must be uint8"),
        (broken(lambda a: a.update(y_test=np.array([0.5, 1, 2, 0]))), "labels must be integers"),
        (broken(lambda a: a.update(y_train=np.zeros((12, 2), int))),
         "labels must be one integer per image"),
        (broken(lambda a: a.update(classes=np.array(["a", "b"]))),
         "classes names 2 classes but a label is 2"),
        (broken(lambda a: a.update(y_test=np.array([0, -1, 2, 0]))), "a negative label"),
    ],
)  # fmt: skip
def test_a_malformed_archive_is_refused_in_one_line(tmp_path, arrays, message):
    name = write_archive(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DatasetError, match=message) as info:
        load_dataset(name)
    assert "\n" not in str(info.value)


def test_missing_files_non_archives_and_pickles_are_refused(tmp_path):
    with pytest.raises(DatasetError, match="npz archive not found"):
        load_dataset(f"npz:{tmp_path / 'nothing.npz'}")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(DatasetError, match=r"not a NumPy \.npz archive"):
        load_dataset(f"npz:{tmp_path / 'text.npz'}")
    np.save(tmp_path / "one.npy", np.zeros((2, 8, 8), np.uint8))
    with pytest.raises(DatasetError, match="holds one array"):
        load_dataset(f"npz:{tmp_path / 'one.npy'}")
    arrays = keras_like()
    arrays["classes"] = np.array([object(), "b", "c"], dtype=object)
    with pytest.raises(DatasetError, match="cannot be read safely"):
        load_dataset(write_archive(tmp_path / "pickled.npz", **arrays))


def test_the_command_line_trains_on_an_archive(tmp_path, capsys):
    from studio.cli.main import main

    arrays = keras_like(train=64, test=16, shape=(12, 12, 3), classes=2)
    name = write_archive(tmp_path / "tiny.npz", **arrays)
    runs = str(tmp_path / "runs")
    code = main(["train", "--kind", "cnn", "--dataset", name, "--epochs", "1",
                 "--set", "width=4", "--set", "batch_size=16", "--runs-dir", runs])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert "tiny" in run_dir.name
    gone = f"npz:{tmp_path / 'gone.npz'}"
    assert main(["train", "--dataset", gone, "--kind", "cnn", "--runs-dir", runs]) == 1
    assert "npz archive not found" in capsys.readouterr().err
