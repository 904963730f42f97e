"""Refuse oversized and too slow request bodies early, on every path, with 413 and 408.

The MCP SDK already refuses bodies over 4 MiB on ``/mcp``, but the web app's paths
(OAuth endpoints, forms, probes) would read up to Quart's 16 MB, and a route that
never reads the body left the client's upload hanging until a timeout. This guard
sits in front of everything: a declared ``Content-Length`` over the limit is
answered at once, before a byte of the body is read; a body without a length
(chunked) is counted as it arrives and refused as soon as it passes the limit.
Either way the connection is closed, so the rest of the upload is never read.

Hypercorn bounds how long headers may take, but not a body: a client trickling one
byte every few seconds kept its connection (and a task) forever. So the whole body of
every request that carries one is read here, before the app sees it, within
``read_timeout`` seconds from its first byte being awaited; a body that has not
arrived by then is answered 408 and the connection closed. (Hypercorn's own
``read_timeout`` cannot do this: it bounds each socket read, which a trickle resets,
and it would also cut the long-lived SSE streams, where the client sends nothing.)
The bodies we take are small (JSON-RPC messages, forms), so holding one in memory
before the app does costs nothing the app would not spend anyway.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Final

import trio

from mctltg.asgi.dispatch import ASGIApp, Receive, Scope, Send

__all__ = ["MAX_REQUEST_BODY", "limit_request_body"]

MAX_REQUEST_BODY: Final = 4 * 1024 * 1024
"""4 MiB: the MCP SDK's own limit for ``/mcp``; far above any form or JSON-RPC message we take."""

_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def limit_request_body(
    app: ASGIApp, *, max_bytes: int = MAX_REQUEST_BODY, read_timeout: float = math.inf
) -> ASGIApp:
    """Wrap ``app`` so no request body over ``max_bytes``, or slower than ``read_timeout`` s, reaches it."""
    if max_bytes <= 0:
        raise ValueError("max_bytes must be a positive number of bytes")
    if not read_timeout > 0:
        raise ValueError("read_timeout must be a positive number of seconds")
    too_large = f"Request body too large: the limit is {_size(max_bytes)}; send less.\n".encode()
    too_slow = f"Request body too slow: it did not arrive within {read_timeout:g} s; send it again, faster.\n"

    async def refuse(send: Send, status: int = 413, message: bytes = too_large) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
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
        if declared is not None and declared > max_bytes:
            await refuse(send)
            return
        if declared == 0 or (declared is None and scope.get("method", "GET") not in _BODY_METHODS):
            await app(scope, receive, send)
            return
        # Read the whole body (declared or chunked) up to the limit, within the deadline.
        buffered: deque[Any] = deque()
        size = 0
        with trio.move_on_after(read_timeout) as deadline:
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
        if deadline.cancelled_caught:
            await refuse(send, 408, too_slow.encode())
            return

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
