"""An ASGI wrapper that refuses request bodies above a size with 413, before they are read.

A declared Content-Length above the limit is refused from the header alone: not one byte of
the body is read (a client that sent `Expect: 100-continue`, as curl does for large uploads,
never sends it). A body without a length (chunked) is counted as it arrives and refused as
soon as it passes the limit, so at most the limit plus one chunk is ever held.

It wraps the whole application, outside the framework's own error handling: the framework
would otherwise turn the refusal into a 500.
"""

from __future__ import annotations

import json

MEGABYTE = 1_000_000


class BodyTooLarge(Exception):
    """Raised into the application when a streamed body passes the limit."""


def too_large_message(limit: int) -> str:
    return (
        f"the upload is larger than the {limit / MEGABYTE:g} MB this service accepts in one "
        "request; send fewer or smaller files per request"
    )


class BodyLimit:
    def __init__(self, app, limit: int):
        self.app = app
        self.limit = int(limit)

    async def _refuse(self, send) -> None:
        body = json.dumps({"detail": too_large_message(self.limit)}).encode()
        await send({
            "type": "http.response.start", "status": 413,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length > self.limit:
                await self._refuse(send)
                return
        received = 0
        refused = False
        started = False

        async def counted_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    raise BodyTooLarge
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # the 413 went out; what the application says after it is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            return
        except Exception:
            if refused:  # the framework wrapped the refusal in an error of its own
                return
            raise
