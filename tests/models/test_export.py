"""Exporting a run: ONNX and TorchScript files that compute what the PyTorch model computes,
int8 classifiers that are smaller and as accurate, the preprocessing in the file's metadata,
and refusals before any weights are read."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from models.data.datasets import load_dataset
from models.deploy import check, export
from models.deploy.check import ExportMismatch, onnx_session
from models.deploy.export import export_run
from models.deploy.graphs import graph_of
from models.deploy.onnx_file import onnx_bytes, read_metadata
from models.kinds.base import DataInfo
from models.kinds.description import describe_kind
from models.kinds.diffusion import Diffusion, DiffusionConfig
from models.runs.open_model import RunRefused, open_model
from studio.cli.main import main


@pytest.fixture(scope="module")
def cnn_onnx(trained_runs, tmp_path_factory):
    """The tiny CNN run exported once (torch's ONNX exporter takes seconds): its result, the
    lines said, and the file's bytes."""
    target = tmp_path_factory.mktemp("export") / "cnn.onnx"
    said: list[str] = []
    result = export_run(trained_runs["cnn"], "onnx", target, say=said.append)
    return result, said, target.read_bytes()


def test_onnx_classifier_gives_pytorchs_probabilities_and_documents_its_input(
    trained_runs, cnn_onnx
):
    run = trained_runs["cnn"]
    result, said, data = cnn_onnx
    assert result.parity.compared == 500  # the bundled digits' test split
    assert result.parity.same_top_class == 500
    assert result.parity.max_difference <= 1e-4
    assert any("max difference" in line for line in said)

    dataset = load_dataset("mnist-5k")
    images = dataset.test_images[:200].float() / 255
    model = open_model(run, device="cpu")
    expected = model.classify(images).numpy()
    got = onnx_session(data).run(None, {"images": images.numpy()})[0]
    assert np.abs(got - expected).max() <= 1e-4
    assert (got.argmax(1) == expected.argmax(1)).all()

    props = read_metadata(data)
    assert json.loads(props["image_studio.input_shape"]) == [1, 28, 28]
    assert json.loads(props["image_studio.class_names"]) == list(model.class_names)
    assert props["image_studio.channel_order"] == "grey"
    assert "[0, 1]" in props["image_studio.value_range"]
    assert float(props["image_studio.background"]) < 0.2  # white digits on black


def test_int8_file_is_smaller_and_keeps_the_accuracy(trained_runs, cnn_onnx, tmp_path,
                                                       monkeypatch):  # fmt: skip
    fp32_result, _, fp32 = cnn_onnx
    # The float file is the one exported above (the exporter is what takes time); the
    # quantisation, its measurements and the writing are the real ones.
    monkeypatch.setattr(export, "onnx_bytes", lambda *args: fp32)
    said: list[str] = []
    int8 = export_run(trained_runs["cnn"], "onnx", tmp_path / "int8.onnx", quantize="int8",
                      say=said.append)  # fmt: skip
    assert int8.size_bytes < fp32_result.size_bytes
    text = "\n".join(said)
    for figure in ("accuracy on the test split", "file size", "images/s"):
        assert figure in text
    data = (tmp_path / "int8.onnx").read_bytes()
    assert any(node.op_type == "QuantizeLinear" for node in _nodes(data))
    assert "image_studio.input_shape" in read_metadata(data)  # the metadata survives

    dataset = load_dataset("mnist-5k")
    images = dataset.test_images.float().numpy() / 255
    labels = dataset.test_labels.numpy()
    fp32_accuracy = _accuracy(onnx_session(fp32), images, labels)
    int8_accuracy = _accuracy(onnx_session(data), images, labels)
    assert fp32_accuracy > 0.5  # a trained model, or the comparison means nothing
    assert abs(fp32_accuracy - int8_accuracy) <= 0.005


def test_an_int8_file_that_loses_accuracy_is_not_written(trained_runs, cnn_onnx, tmp_path,
                                                         monkeypatch):  # fmt: skip
    from models.deploy import quantize

    fp32 = cnn_onnx[2]
    monkeypatch.setattr(export, "onnx_bytes", lambda *args: fp32)
    worse = quantize.Quantized(b"int8", quantize.Measured(0.90, len(fp32), 100.0),
                               quantize.Measured(0.89, 4, 100.0))  # fmt: skip
    monkeypatch.setattr(quantize, "quantize_classifier", lambda *args: worse)
    target = tmp_path / "int8.onnx"
    with pytest.raises(ExportMismatch, match=r"loses 1\.00 points"):
        export_run(trained_runs["cnn"], "onnx", target, quantize="int8", say=lambda _: None)
    assert not target.exists()


def test_a_file_that_does_not_match_pytorch_is_not_written(trained_runs, tmp_path, monkeypatch):
    monkeypatch.setitem(check.TOLERANCE, "classifier", -1.0)
    target = tmp_path / "cnn.pt"
    with pytest.raises(ExportMismatch, match="not written"):
        export_run(trained_runs["cnn"], "torchscript", target, say=lambda _: None)
    assert not target.exists() and not list(tmp_path.iterdir())


def test_decoder_exports_latents_to_images(trained_runs, tmp_path):
    result = export_run(trained_runs["vae"], "onnx", tmp_path / "vae.onnx", say=lambda _: None)
    assert result.purpose == "decoder"
    assert result.parity.max_difference <= 1e-3
    data = (tmp_path / "vae.onnx").read_bytes()
    model = open_model(trained_runs["vae"], device="cpu")
    latents = model.make_noise(5, torch.Generator().manual_seed(3))
    images = onnx_session(data).run(None, {"latents": latents.numpy()})[0]
    assert images.shape == (5, 1, 28, 28)
    assert np.abs(images - model.decode(latents).numpy()).max() <= 1e-3
    assert read_metadata(data)["image_studio.latent_dim"] == str(model.latent_dim)


def test_diffusion_exports_one_denoising_step_that_predicts_the_noise():
    classes = tuple("0123456789")
    model = Diffusion(DiffusionConfig(width=8, prediction="v"), DataInfo((1, 8, 8), classes),
                      "cpu")  # fmt: skip
    torch.manual_seed(0)
    torch.nn.init.normal_(model.net_ema.conv_out.weight, std=0.2)  # a network that says something
    model.train_mode(False)
    graph = graph_of(model, describe_kind(Diffusion))
    assert graph.input_names == ("sample", "timesteps", "labels")
    sample = torch.randn(3, 1, 8, 8)
    timesteps = torch.tensor([10, 500, 999])
    labels = torch.tensor([3, 7, 10])  # 10: no class
    data = onnx_bytes(graph, (sample[:2], timesteps[:2], labels[:2]), {})
    noise = onnx_session(data).run(
        None, {"sample": sample.numpy(), "timesteps": timesteps.numpy(), "labels": labels.numpy()}
    )[0]
    with torch.no_grad():
        v = model.net_ema(sample, timesteps, labels)
        alpha = model.alphas[timesteps][:, None, None, None]
        expected = (1 - alpha).sqrt() * sample + alpha.sqrt() * v  # noise from v
    assert np.abs(noise - expected.numpy()).max() <= 1e-3


def test_torchscript_from_the_command_line(trained_runs, tmp_path, capsys):
    target = tmp_path / "cnn.pt"
    assert main(["export", str(trained_runs["cnn"]), "--format", "torchscript", "-o",
                 str(target)]) == 0  # fmt: skip
    assert "max difference" in capsys.readouterr().out
    loaded = torch.jit.load(str(target))
    images = torch.rand(4, 1, 28, 28)
    expected = open_model(trained_runs["cnn"], device="cpu").classify(images)
    assert torch.allclose(loaded(images), expected, atol=1e-5)


def test_refused_in_one_line_before_the_weights_are_read(trained_runs, tmp_path, capsys):
    run = tmp_path / "vae-run"
    shutil.copytree(trained_runs["vae"], run)
    (run / "weights.safetensors").write_bytes(b"not weights at all")  # never read
    with pytest.raises(RunRefused, match="does not classify"):
        export_run(run, "onnx", tmp_path / "x.onnx", quantize="int8")
    assert main(["export", str(run), "-o", str(tmp_path / "x.onnx"), "--quantize", "int8"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not classify images" in err[0]
    assert not (tmp_path / "x.onnx").exists()


def test_missing_packages_are_named_with_the_extra(trained_runs, tmp_path, capsys, monkeypatch):
    import studio.cli.export as cli_export

    monkeypatch.setattr(cli_export, "missing_packages", lambda names: ["onnxruntime"])
    assert main(["export", str(trained_runs["cnn"]), "-o", str(tmp_path / "m.onnx")]) == 1
    assert "pip install 'image-studio[serve]'" in capsys.readouterr().err


def _nodes(data: bytes):
    import onnx

    return onnx.load_from_string(data).graph.node


def _accuracy(session, images: np.ndarray, labels: np.ndarray) -> float:
    probs = session.run(None, {"images": images.astype(np.float32)})[0]
    return float((probs.argmax(1) == labels).mean())
