"""A trained run as an HTTP service (FastAPI): classify uploaded image files, draw samples as a
PNG grid, say whether it is up. OpenAPI docs are at /docs.

The model is loaded once, before the service starts. Model work runs on a small thread pool
of fixed size, never on the event loop, and a semaphore bounds how many requests are being
worked on at once (the others wait their turn). Uploads go through the same loader as
`image-studio classify`: each file gets labels and probabilities, or the reason it could not
be used. The request body is bounded (models/deploy/body_limit.py).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations, which
# name objects local to create_app.
import asyncio
import re
import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from models.deploy.body_limit import MEGABYTE, BodyLimit
from models.kinds.description import CLASSIFIER, LATENT_SPACE, KindDescription
from models.runs.open_model import refusal

MAX_SAMPLES = 64


@dataclass(frozen=True)
class ServiceSettings:
    token: str | None = None  # bearer token required by /classify and /sample when set
    max_body_bytes: int = 20 * MEGABYTE
    concurrent_requests: int = 4  # requests worked on at once; more wait
    model_threads: int = 2  # the thread pool that runs the model
    top_k: int = 3


def _safe_suffix(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def file_json(result, name: str) -> dict:
    if result.reason:
        return {"file": name, "reason": result.reason}
    return {
        "file": name,
        "labels": list(result.labels),
        "probabilities": [round(p, 6) for p in result.probabilities],
        "inverted": result.inverted,
    }


def create_app(run, model, kind: KindDescription, settings: ServiceSettings | None = None):
    """The ASGI application serving `model` (already loaded) of `run`."""
    from fastapi import Depends, FastAPI, File, HTTPException, Query, UploadFile
    from fastapi.responses import JSONResponse, Response
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    settings = settings or ServiceSettings()
    pool = ThreadPoolExecutor(settings.model_threads, thread_name_prefix="serve-model")
    busy = asyncio.Semaphore(settings.concurrent_requests)
    background = run.config["dataset"].get("background")
    bearer = HTTPBearer(auto_error=False)

    @asynccontextmanager
    async def lifespan(app):
        yield
        pool.shutdown(wait=True, cancel_futures=True)

    app = FastAPI(
        title=f"Image Studio: {run.name}",
        description=f"A {kind.title} run served over HTTP. {kind.summary}",
        lifespan=lifespan,
    )

    def authorised(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if settings.token is None:
            return
        given = credentials.credentials if credentials is not None else ""
        if not secrets.compare_digest(given.encode(), settings.token.encode()):
            raise HTTPException(401, "a bearer token is required: Authorization: Bearer TOKEN",
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip

    async def on_model(function, *args):
        async with busy:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)

    def require(role: str) -> None:
        if not kind.has(role):
            raise HTTPException(404, refusal(run.name, kind, role))

    @app.get("/health")
    async def health() -> dict:
        """Whether the service is up, and what it serves."""
        return {"status": "ok", "run": run.name, "model": kind.title,
                "roles": sorted(kind.roles), "classes": list(model.class_names)}  # fmt: skip

    @app.post("/classify", dependencies=[Depends(authorised)])
    async def classify(
        files: Annotated[list[UploadFile], File(description="image files (PNG, JPEG, ...)")],
        top_k: int = Query(settings.top_k, ge=1, le=100),
    ):
        """Each file's most likely labels and their probabilities, or the reason it could not
        be classified. 422 when no file could be."""
        require(CLASSIFIER)
        with tempfile.TemporaryDirectory(prefix="image-studio-serve-") as folder:
            paths, names = [], []
            for index, upload in enumerate(files):
                path = Path(folder) / f"{index:05d}{_safe_suffix(upload.filename)}"
                path.write_bytes(await upload.read())  # bounded by the body limit
                paths.append(path)
                names.append(upload.filename or f"file {index + 1}")
            results = await on_model(_classify, model, paths, top_k, background)
        body = [file_json(r, n) for r, n in zip(results, names, strict=True)]
        ok = any("labels" in item for item in body)
        return JSONResponse(
            {"results": body} if ok else {"detail": "no file could be classified", "results": body},
            status_code=200 if ok else 422,
        )

    @app.get("/sample", dependencies=[Depends(authorised)],
             responses={200: {"content": {"image/png": {}}}})  # fmt: skip
    async def sample(
        n: int = Query(16, ge=1, le=MAX_SAMPLES),
        label: str | None = Query(None, description="a class name (runs trained with classes)"),
        seed: int = Query(0, ge=0, le=2**32 - 1),
    ):
        """A PNG grid of `n` images drawn from the model's latent space."""
        require(LATENT_SPACE)
        if label is not None:
            if not model.conditional:
                raise HTTPException(422, f"this {kind.title} run was trained without classes")
            if label not in model.class_names:
                raise HTTPException(422, f"no class {label!r}; the run knows "
                                    f"{', '.join(model.class_names)}")  # fmt: skip
        index = None if label is None else model.class_names.index(label)
        data = await on_model(_sample_png, model, n, index, seed)
        return Response(data, media_type="image/png")

    return BodyLimit(app, settings.max_body_bytes)


def _classify(model, paths, top_k, background):
    from models.inference.classify import classify_files

    return list(classify_files(model, paths, top_k=top_k, background=background))


def _sample_png(model, n: int, label: int | None, seed: int) -> bytes:
    import torch

    from models.data.grids import make_grid, png_bytes, to_uint8

    generator = torch.Generator().manual_seed(seed)
    noise = model.make_noise(n, generator)
    labels = None if label is None else torch.full((n,), label, dtype=torch.long)
    images = model.sample(n, noise=noise, labels=labels).cpu()
    return png_bytes(make_grid(to_uint8(images)))
