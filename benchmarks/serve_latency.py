"""How does `image-studio serve` of a CNN run answer a burst of requests, bad files among them?

1. Starts `image-studio serve RUN --port P` in a subprocess on a free loopback port and waits
   for GET /health.
2. Sends --requests (200) POST /classify requests at once, one file each: test digits of the
   bundled data as PNG, and every tenth a bad file in turn: an empty file, a truncated PNG,
   a text file named .png. Each request's latency is measured from its start to the end of
   its answer.
3. Sends a 100 MB upload with a declared length and `Expect: 100-continue`, as curl does for a
   large file, and reads the status it gets back (and how much of the body it had to send).

Prints p50 / p99 latency, how many good files were classified, how many bad files got a 4xx
with a reason, and every other failure (which must be 0); ends with one line of name=value
pairs.

    PYTHONPATH=. .venv/bin/python benchmarks/serve_latency.py RUN [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

BAD = ("empty", "truncated", "text")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def digit_pngs(count: int) -> list[bytes]:
    from models.data.datasets import load_mnist_5k

    images = load_mnist_5k().test_images[:count, 0].numpy()
    pngs = []
    for pixels in images:
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    return pngs


def bad_file(kind: str, png: bytes) -> bytes:
    return {"empty": b"", "truncated": png[: len(png) // 2], "text": b"notes, not a picture\n"}[
        kind
    ]


def wait_for_health(base: str, server: subprocess.Popen, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not answer /health in time")


async def burst(base: str, files: list[tuple[str, bytes, bool]]) -> list[tuple[float, int, dict]]:
    limits = httpx.Limits(max_connections=len(files), max_keepalive_connections=len(files))
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:

        async def one(name: str, data: bytes):
            started = time.perf_counter()
            try:
                answer = await client.post(
                    "/classify", files=[("files", (name, data, "image/png"))]
                )
                body = answer.json()
                status = answer.status_code
            except (httpx.HTTPError, ValueError) as exc:
                status, body = -1, {"error": f"{type(exc).__name__}: {exc}"}
            return time.perf_counter() - started, status, body

        return await asyncio.gather(*(one(name, data) for name, data, _ in files))


def huge_upload(host: str, port: int, size: int = 100_000_000) -> tuple[int, int]:
    """(status, body bytes sent) of a `size`-byte upload that waits for 100 Continue."""
    with socket.create_connection((host, port), timeout=30) as connection:
        head = (f"POST /classify HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {size}\r\n"
                "Expect: 100-continue\r\n\r\n")  # fmt: skip
        connection.sendall(head.encode())
        sent = 0
        first = connection.recv(4096)
        if first.startswith(b"HTTP/1.1 100"):  # asked for the body: send it, as curl would
            chunk = b"\0" * 1_000_000
            try:
                while sent < size:
                    connection.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            first = connection.recv(4096)
        return int(first.split()[1]), sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a trained CNN run")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    server = subprocess.Popen(
        [sys.executable, "-m", "studio", "serve", str(args.run), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        wait_for_health(base, server)
        pngs = digit_pngs(args.requests)
        files = []
        for i in range(args.requests):
            if i % 10 == 9:
                kind = BAD[(i // 10) % len(BAD)]
                files.append((f"{kind}-{i}.png", bad_file(kind, pngs[i]), False))
            else:
                files.append((f"digit-{i}.png", pngs[i], True))
        started = time.perf_counter()
        answers = asyncio.run(burst(base, files))
        wall = time.perf_counter() - started
        latencies = np.array([a[0] for a in answers]) * 1000
        classified = sum(
            1 for (_, _, good), (_, s, _) in zip(files, answers, strict=True) if good and s == 200
        )
        refused = 0
        other = []
        for (name, _, good), (_, status, body) in zip(files, answers, strict=True):
            if good and status == 200:
                continue
            reason = (
                (body.get("results") or [{}])[0].get("reason") if isinstance(body, dict) else None
            )
            if not good and 400 <= status < 500 and reason:
                refused += 1
            else:
                other.append((name, status, str(body)[:200]))
        big_status, big_sent = huge_upload("127.0.0.1", port)
    finally:
        server.terminate()
        server.wait(30)
    p50, p99 = np.percentile(latencies, [50, 99])
    bad_count = sum(1 for f in files if not f[2])
    print(f"{args.requests} concurrent POST /classify in {wall:.2f} s: p50 {p50:.0f} ms, "
          f"p99 {p99:.0f} ms")  # fmt: skip
    print(f"good files classified: {classified}/{args.requests - bad_count}; bad files refused "
          f"with a 4xx and a reason: {refused}/{bad_count}")  # fmt: skip
    print(f"other failures: {len(other)}")
    for name, status, body in other[:10]:
        print(f"  {name}: {status} {body}")
    print(f"100 MB upload: status {big_status}, {big_sent / 1e6:.0f} MB of its body sent")
    print(
        f"requests={args.requests} p50_ms={p50:.0f} p99_ms={p99:.0f} wall_s={wall:.2f} "
        f"classified={classified} bad_4xx={refused} bad={bad_count} other_failures={len(other)} "
        f"upload_100mb_status={big_status} upload_100mb_sent_mb={big_sent / 1e6:.0f}"
    )


if __name__ == "__main__":
    main()
