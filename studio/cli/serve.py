"""`image-studio serve RUN [--host 127.0.0.1] [--port 8000] [--token T]`: a run as an HTTP
service (models/deploy/service.py) on uvicorn, from the optional `serve` extra.

Bound to the loopback address by default, so only programs on this machine reach it; bound to
any other address it refuses to start without a bearer token, which every request for the
model must then carry.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from studio.cli.export import extra_message, missing_packages

SERVE_PACKAGES = ("fastapi", "uvicorn", "python_multipart")
TOKEN_VARIABLE = "IMAGE_STUDIO_TOKEN"


def add_serve_parser(commands) -> None:
    serve = commands.add_parser(
        "serve", help="serve a run over HTTP: POST /classify, GET /sample, GET /health, docs "
        "at /docs",
    )  # fmt: skip
    serve.add_argument("run", help="run folder, or a run name in the runs folder")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: this machine only)")  # fmt: skip
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--token", help="bearer token the model's endpoints require (needed "
                       f"off the loopback address; or set ${TOKEN_VARIABLE})")  # fmt: skip
    serve.add_argument("--max-upload-mb", type=float, default=20.0,
                       help="largest request body accepted (413 beyond it)")  # fmt: skip
    serve.add_argument("--concurrency", type=int, default=4,
                       help="requests worked on at once; more wait their turn")  # fmt: skip
    serve.add_argument("--runs-dir", type=Path, default=argparse.SUPPRESS)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def check_serve_arguments(args: argparse.Namespace) -> str | None:
    """The token to require (None on loopback without one); refuses what cannot be served."""
    from studio.cli.checks import check_range

    check_range("--port", args.port, 0, 65535)
    check_range("--concurrency", args.concurrency, 1, 256)
    if not 0.001 <= args.max_upload_mb <= 10_000:
        raise ValueError(f"--max-upload-mb must be between 0.001 and 10000, not "
                         f"{args.max_upload_mb}")  # fmt: skip
    token = args.token or os.environ.get(TOKEN_VARIABLE) or None
    if token is not None and len(token) < 8:
        raise ValueError("--token must be at least 8 characters long")
    if token is None and not is_loopback(args.host):
        raise ValueError(
            f"serving on {args.host} lets other machines reach the model: give --token TOKEN "
            f"(or set ${TOKEN_VARIABLE}), or serve on 127.0.0.1"
        )
    return token


def check_servable(run):
    """The run's kind description if it classifies or draws images; refused (one line, no
    weights read) otherwise."""
    from models.kinds.description import CLASSIFIER, LATENT_SPACE
    from models.runs.open_model import RunRefused, check_role, refusal

    kind = check_role(run, None)
    if not (kind.has(CLASSIFIER) or kind.has(LATENT_SPACE)):
        raise RunRefused(refusal(run.name, kind, CLASSIFIER))
    return kind


def build_service(args: argparse.Namespace, run, token: str | None):
    """The ASGI application for `run`, its model loaded once here."""
    from models.deploy.body_limit import MEGABYTE
    from models.deploy.service import ServiceSettings, create_app
    from models.runs.open_model import open_model

    kind = check_servable(run)
    model = open_model(run, None)
    settings = ServiceSettings(
        token=token, max_body_bytes=int(args.max_upload_mb * MEGABYTE),
        concurrent_requests=args.concurrency,
    )  # fmt: skip
    return create_app(run, model, kind, settings)


def command_serve(args: argparse.Namespace) -> int:
    from studio.cli.commands import find_run

    token = check_serve_arguments(args)
    run = find_run(args)
    check_servable(run)  # refused before the packages are even looked for
    missing = missing_packages(SERVE_PACKAGES)
    if missing:
        print(f"image-studio: error: {extra_message('serve', missing)}", file=sys.stderr)
        return 1
    import torch
    import uvicorn

    # The model's thread pool has two threads; each runs torch on one core, so two requests'
    # work never fights over the same cores.
    torch.set_num_threads(1)
    app = build_service(args, run, token)
    where = f"http://{args.host}:{args.port}"
    guard = "bearer token required" if token else "no token: this machine only"
    print(f"serving {run.name} at {where} ({guard}); API docs at {where}/docs", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
