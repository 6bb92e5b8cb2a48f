"""`image-studio serve`: classifying uploaded files (good and bad), samples as PNG, the upload
limit, the token off the loopback address, and runs that cannot be served."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from models.deploy.body_limit import BodyLimit
from models.deploy.service import ServiceSettings, create_app
from models.runs.folder import Run
from models.runs.open_model import RunRefused, check_role, open_model
from studio.cli.main import main
from studio.cli.serve import check_servable, check_serve_arguments

TOKEN = "a-long-secret"


def _client(run_path, **settings) -> TestClient:
    run = Run.open(run_path)
    app = create_app(run, open_model(run, device="cpu"), check_role(run, None),
                     ServiceSettings(**settings))  # fmt: skip
    return TestClient(app)


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _digit() -> bytes:
    pixels = np.zeros((28, 28), np.uint8)
    pixels[5:23, 12:16] = 255  # a "1"
    return _png(pixels)


def test_classify_answers_each_file_with_labels_or_a_reason(trained_runs):
    good = _digit()
    files = [
        ("files", ("one.png", good, "image/png")),
        ("files", ("empty.png", b"", "image/png")),
        ("files", ("cut.png", good[: len(good) // 2], "image/png")),
        ("files", ("notes.png", b"just some text, not a picture\n", "image/png")),
    ]
    with _client(trained_runs["cnn"]) as client:
        answer = client.post("/classify", files=files)
        assert answer.status_code == 200
        results = answer.json()["results"]
        assert [r["file"] for r in results] == ["one.png", "empty.png", "cut.png", "notes.png"]
        assert len(results[0]["labels"]) == 3
        assert sum(results[0]["probabilities"]) <= 1.0 + 1e-6
        assert "empty" in results[1]["reason"]
        assert "truncated" in results[2]["reason"] or "damaged" in results[2]["reason"]
        assert "not an image" in results[3]["reason"]

        only_bad = client.post("/classify", files=[files[1]])
        assert only_bad.status_code == 422
        assert "empty" in only_bad.json()["results"][0]["reason"]
        assert client.get("/health").json()["status"] == "ok"
        assert client.get("/openapi.json").status_code == 200


def test_samples_come_as_a_png_grid_from_runs_with_a_latent_space(trained_runs):
    with _client(trained_runs["vae"]) as client:
        answer = client.get("/sample", params={"n": 4})
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(answer.content)).size[0] > 28
        refused = client.post("/classify", files=[("files", ("a.png", _digit(), "image/png"))])
        assert refused.status_code == 404 and "does not classify" in refused.json()["detail"]
    with _client(trained_runs["cnn"]) as client:
        answer = client.get("/sample")
        assert answer.status_code == 404 and "no latent space" in answer.json()["detail"]


def test_an_upload_over_the_limit_is_refused_with_413(trained_runs):
    with _client(trained_runs["cnn"], max_body_bytes=100_000) as client:
        big = [("files", ("big.png", b"\0" * 200_000, "image/png"))]
        answer = client.post("/classify", files=big)
        assert answer.status_code == 413
        assert "0.1 MB" in answer.json()["detail"]
        small = client.post("/classify", files=[("files", ("a.png", _digit(), "image/png"))])
        assert small.status_code == 200


def test_a_streamed_body_is_cut_off_at_the_limit_not_read_to_its_end():
    chunk = 1_000_000
    read = 0
    sent: list[dict] = []

    async def app(scope, receive, send):  # reads the whole body, as a form parser would
        while True:
            message = await receive()
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"x" * chunk, "more_body": read < 100}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "headers": []}  # no content-length: a chunked upload of 100 MB
    asyncio.run(BodyLimit(app, 20 * chunk)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert read <= 21
    assert b"20 MB" in sent[1]["body"]


def test_a_token_guards_the_model_but_not_the_health_check(trained_runs):
    files = [("files", ("a.png", _digit(), "image/png"))]
    with _client(trained_runs["cnn"], token=TOKEN) as client:
        assert client.post("/classify", files=files).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert client.post("/classify", files=files, headers=wrong).status_code == 401
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert client.post("/classify", files=files, headers=right).status_code == 200
        assert client.get("/health").status_code == 200


def _serve_args(**values) -> argparse.Namespace:
    defaults = {"host": "127.0.0.1", "port": 8000, "token": None, "max_upload_mb": 20.0,
                "concurrency": 4}  # fmt: skip
    return argparse.Namespace(**{**defaults, **values})


def test_off_the_loopback_address_a_token_is_required(trained_runs, monkeypatch, capsys):
    monkeypatch.delenv("IMAGE_STUDIO_TOKEN", raising=False)
    assert check_serve_arguments(_serve_args()) is None
    assert check_serve_arguments(_serve_args(host="::1")) is None
    with pytest.raises(ValueError, match="--token"):
        check_serve_arguments(_serve_args(host="0.0.0.0"))
    assert check_serve_arguments(_serve_args(host="0.0.0.0", token=TOKEN)) == TOKEN
    monkeypatch.setenv("IMAGE_STUDIO_TOKEN", TOKEN)
    assert check_serve_arguments(_serve_args(host="192.168.1.5")) == TOKEN
    monkeypatch.delenv("IMAGE_STUDIO_TOKEN")
    assert main(["serve", str(trained_runs["cnn"]), "--host", "0.0.0.0"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--token" in err[0]


def test_a_run_that_neither_classifies_nor_draws_is_refused_unread(trained_runs, tmp_path,
                                                                   capsys):  # fmt: skip
    run = tmp_path / "upscaler"
    shutil.copytree(trained_runs["cnn"], run)
    config = json.loads((run / "config.json").read_text())
    config["kind"] = "superres"
    (run / "config.json").write_text(json.dumps(config))
    (run / "weights.safetensors").write_bytes(b"never read")
    with pytest.raises(RunRefused, match="does not classify"):
        check_servable(Run.open(run))
    assert main(["serve", str(run)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not classify images" in err[0]


def test_without_the_extra_the_message_names_it(trained_runs, monkeypatch, capsys):
    import studio.cli.serve as cli_serve

    monkeypatch.setattr(cli_serve, "missing_packages", lambda names: ["fastapi", "uvicorn"])
    assert main(["serve", str(trained_runs["cnn"])]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'image-studio[serve]'" in err[0]
