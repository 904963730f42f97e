"""Refuse oversized request bodies early, on every path, with 413.

The MCP SDK already refuses bodies over 4 MiB on ``/mcp``, but the web app's paths
(OAuth endpoints, forms, probes) would read up to Quart's 16 MB, and a route that
never reads the body left the client's upload hanging until a timeout. This guard
sits in front of everything: a declared ``Content-Length`` over the limit is
answered at once, before a byte of the body is read; a body without a length
(chunked) is counted as it arrives and refused as soon as it passes the limit.
Either way the connection is closed, so the rest of the upload is never read.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from mctltg.asgi.dispatch import ASGIApp, Receive, Scope, Send

__all__ = ["MAX_REQUEST_BODY", "limit_request_body"]

MAX_REQUEST_BODY: Final = 4 * 1024 * 1024
"""4 MiB: the MCP SDK's own limit for ``/mcp``; far above any form or JSON-RPC message we take."""

_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def limit_request_body(app: ASGIApp, *, max_bytes: int = MAX_REQUEST_BODY) -> ASGIApp:
    """Wrap ``app`` so no request body over ``max_bytes`` reaches it."""
    if max_bytes <= 0:
        raise ValueError("max_bytes must be a positive number of bytes")
    message = f"Request body too large: the limit is {_size(max_bytes)}; send less.\n".encode()

    async def refuse(send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(message)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": message})

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > max_bytes:
                await refuse(send)
                return
            await app(scope, receive, send)  # the HTTP layer holds the body to its declared length
            return
        if scope.get("method", "GET") not in _BODY_METHODS:
            await app(scope, receive, send)
            return
        # No declared length: read the (chunked) body up to the limit before the app sees it.
        buffered: deque[Any] = deque()
        size = 0
        while True:
            event = await receive()
            buffered.append(event)
            if event["type"] != "http.request":
                break
            size += len(event.get("body", b""))
            if size > max_bytes:
                await refuse(send)
                return
            if not event.get("more_body", False):
                break

        async def replay() -> Any:
            if buffered:
                return buffered.popleft()
            return await receive()

        await app(scope, replay, send)

    return guarded


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP layer refuses a malformed length itself
    return None


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"
