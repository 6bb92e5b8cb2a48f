import os
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.data.datasets import DatasetError, LoadCancelled, load_dataset, load_mnist_5k
from models.data.download import load_cifar10, load_torchvision


def test_mnist_5k_follows_the_split_convention():
    data = load_mnist_5k()
    assert data.info.image_shape == (1, 28, 28)
    assert (data.num_train, data.num_test) == (4500, 500)
    assert torch.bincount(data.train_labels).tolist() == [450] * 10
    assert torch.bincount(data.test_labels).tolist() == [50] * 10
    raw = np.load("resources/datasets/mnist-5k.npz")
    # The first 450 rows of class 0 are train, its last 50 test, in file order.
    assert np.array_equal(data.train_images[0, 0].numpy(), raw["images"][0])
    assert np.array_equal(data.test_images[0, 0].numpy(), raw["images"][450])
    assert data.background_level() < 0.05


def test_epoch_order_is_a_pure_function_of_seed_and_epoch():
    data = load_mnist_5k()
    assert torch.equal(data.epoch_order(3, 1), data.epoch_order(3, 1))
    assert not torch.equal(data.epoch_order(3, 1), data.epoch_order(3, 2))
    batches = list(data.train_batches(1000, seed=0, epoch=0, start=2))
    assert len(batches) == 2  # 4 whole batches, the first two skipped
    assert batches[0].images.dtype == torch.float32 and float(batches[0].images.max()) <= 1.0


def test_unknown_dataset_names_the_choices():
    with pytest.raises(DatasetError, match="mnist-5k"):
        load_dataset("imagenet")


def write_idx(path, array: np.ndarray) -> None:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_loads_from_idx_files_in_the_cache(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    write_idx(raw / "train-images-idx3-ubyte", rng.integers(0, 255, (12, 28, 28)))
    write_idx(raw / "train-labels-idx1-ubyte", np.arange(12) % 10)
    write_idx(raw / "t10k-images-idx3-ubyte", rng.integers(0, 255, (4, 28, 28)))
    write_idx(raw / "t10k-labels-idx1-ubyte", np.arange(4))
    data = load_torchvision("mnist", tmp_path)
    assert (data.num_train, data.num_test) == (12, 4)
    assert data.info.class_names[3] == "3"
    assert data.test_labels.tolist() == [0, 1, 2, 3]


def test_offline_download_names_the_offline_choices(tmp_path, monkeypatch):
    import torchvision.datasets.mnist as tv_mnist

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", no_network)
    with pytest.raises(DatasetError) as info:
        load_torchvision("fashion-mnist", tmp_path)
    message = str(info.value)
    assert "could not download" in message and "mnist-5k" in message and "folder:" in message


def test_cifar10_reads_binary_batches_without_pickle(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in [*(f"data_batch_{i}.bin" for i in range(1, 6)), "test_batch.bin"]:
        records = np.zeros((3, 3073), np.uint8)
        records[:, 0] = [1, 7, 9]
        records[:, 1:] = rng.integers(0, 255, (3, 3072))
        records.tofile(folder / name)
    data = load_cifar10(tmp_path)
    assert data.info.image_shape == (3, 32, 32)
    assert (data.num_train, data.num_test) == (15, 3)
    assert data.info.class_names[data.test_labels[1]] == "horse"
    assert data.info.flips_keep_label
    # Plane order R, G, B: the first pixel's red value is byte 1 of the record.
    reread = np.fromfile(folder / "test_batch.bin", np.uint8).reshape(3, 3073)
    assert int(data.test_images[0, 0, 0, 0]) == reread[0, 1]
    assert int(data.test_images[0, 1, 0, 0]) == reread[0, 1 + 1024]


def digit_png(path, value: int, size=(28, 28), mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value).save(path)


def test_folder_with_class_subfolders_is_labelled_and_records_conversions(tmp_path):
    for i in range(12):
        digit_png(tmp_path / "cats" / f"c{i}.png", 10 * i)
        digit_png(tmp_path / "dogs" / f"d{i}.png", 200 - 10 * i, size=(40, 40))
    (tmp_path / "dogs" / "broken.png").write_text("not an image")
    data = load_dataset(f"folder:{tmp_path}")
    assert data.info.class_names == ("cats", "dogs")
    assert data.info.image_shape == (1, 28, 28)
    assert data.num_train + data.num_test == 24
    assert data.num_test >= 1
    notes = " ".join(data.notes)
    assert "resized 12 images from 40x40 to 28x28" in notes
    assert "skipped 1 unreadable files" in notes and "broken.png" in notes
    # The split is the same every time the folder is read.
    again = load_dataset(f"folder:{tmp_path}")
    assert torch.equal(again.test_images, data.test_images)


def test_flat_colour_folder_is_unlabelled_rgb(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
            tmp_path / f"{i}.jpg"
        )
    data = load_dataset(f"folder:{tmp_path}")
    assert data.train_labels is None and data.info.class_names == ()
    assert data.info.image_shape == (3, 32, 32)


def test_folder_loading_can_be_cancelled(tmp_path):
    for i in range(120):
        digit_png(tmp_path / f"{i}.png", i)
    with pytest.raises(LoadCancelled):
        load_dataset(f"folder:{tmp_path}", should_stop=lambda: True)


def test_empty_or_missing_folders_say_so(tmp_path):
    with pytest.raises(DatasetError, match="no images"):
        load_dataset(f"folder:{tmp_path}")
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(f"folder:{tmp_path / 'nowhere'}")


def test_a_pickle_in_the_dataset_cache_is_refused_in_one_line_naming_it(tmp_path):
    import datetime

    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    for name in ("training.pt", "test.pt"):  # torchvision's old cache format, a pickle
        torch.save({"made": datetime.date(2020, 1, 1)}, processed / name)
    with pytest.raises(DatasetError) as info:
        load_dataset("mnist", root=tmp_path)
    message = str(info.value)
    assert str(processed / "training.pt") in message and "\n" not in message
    assert f"delete {tmp_path / 'MNIST'}" in message


def test_a_damaged_dataset_cache_says_which_folder_to_delete(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):  # fmt: skip
        (raw / name).write_bytes(b"\x00\x00\x08\x09damaged")
    with pytest.raises(DatasetError, match=f"delete {tmp_path / 'MNIST'}"):
        load_dataset("mnist", root=tmp_path)


def test_a_file_name_that_is_not_utf8_costs_nothing_in_a_folder_dataset(tmp_path):
    folder = bytes(tmp_path)
    for i in range(6):
        digit_png(tmp_path / "cats" / f"c{i}.png", 10 * i)
        digit_png(tmp_path / "dogs" / f"d{i}.png", 200 - 10 * i)
    odd = os.fsdecode(folder + b"/dogs/caf\xe9.png")
    digit_png(Path(odd), 90)
    data = load_dataset(f"folder:{tmp_path}")
    assert data.num_train + data.num_test == 13
    again = load_dataset(f"folder:{tmp_path}")
    assert torch.equal(again.test_images, data.test_images)


def test_special_files_in_a_folder_dataset_are_skipped_with_a_reason(tmp_path):
    for i in range(6):
        digit_png(tmp_path / "cats" / f"c{i}.png", 10 * i)
        digit_png(tmp_path / "dogs" / f"d{i}.png", 200 - 10 * i)
    os.mkfifo(tmp_path / "dogs" / "pipe.png")
    (tmp_path / "dogs" / "zero.png").symlink_to("/dev/zero")
    (tmp_path / "dogs" / "loop.png").symlink_to(tmp_path / "dogs" / "loop.png")
    data = load_dataset(f"folder:{tmp_path}")
    notes = " ".join(data.notes)
    assert data.num_train + data.num_test == 12
    assert "skipped 3 unreadable files" in notes
    assert "FIFO" in notes and "character device" in notes and "symbolic links" in notes
