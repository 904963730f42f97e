"""JSON-RPC ids must be strings or integers: anything else is answered with a JSON-RPC error.

JSON-RPC 2.0 §4 allows an id to be a string, a number or null; MCP narrows it to a
string or an integer (and never null for a request). The SDK's transport, given a
request with ``"id": true``, ``1.5``, ``null``, an object or a list, fails to parse
it as a request and answers ``202 Accepted`` as if it were a notification: the
caller never learns its request was dropped. This wrapper reads the POSTed body of
``/mcp`` (already bounded by ``body_limit``), and when any request in it carries such
an id answers 400 with ``{"jsonrpc": "2.0", "id": null, "error": {"code": -32600}}``
(Invalid Request; the id is null because the given one cannot be echoed). Everything
else, including bodies that are not JSON, goes to the SDK unchanged.
"""

from __future__ import annotations

import json
from typing import Any, Final

from mctltg.asgi.dispatch import ASGIApp, Receive, Scope, Send

__all__ = ["read_body", "reject_invalid_ids", "replaying"]

INVALID_REQUEST: Final = -32600
_MESSAGE: Final = "Invalid Request: a request id must be a string or an integer."


def _bad_id(message: object) -> bool:
    if not isinstance(message, dict) or "method" not in message or "id" not in message:
        return False  # a notification, a response, or not a request at all: not ours to judge
    value = message["id"]
    return isinstance(value, bool) or not isinstance(value, str | int)


def _has_bad_id(body: bytes) -> bool:
    try:
        parsed: Any = json.loads(body)
    except (ValueError, RecursionError):
        return False  # the SDK answers malformed JSON itself
    messages = parsed if isinstance(parsed, list) else [parsed]
    return any(_bad_id(message) for message in messages)


async def read_body(receive: Receive) -> tuple[bytes, list[dict[str, Any]]]:
    """The whole request body, and the ASGI messages it came in (for :func:`replaying`)."""
    chunks: list[bytes] = []
    seen: list[dict[str, Any]] = []
    while True:
        message = dict(await receive())
        seen.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), seen


def reject_invalid_ids(app: ASGIApp) -> ASGIApp:
    """Wrap the MCP app so requests with a non-string, non-integer id get a JSON-RPC error."""

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await app(scope, receive, send)
            return
        body, seen = await read_body(receive)
        if _has_bad_id(body):
            error = {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": _MESSAGE}}
            payload = json.dumps(error).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        await app(scope, replaying(body, seen, receive), send)

    return checked


def replaying(body: bytes, seen: list[dict[str, Any]], receive: Receive) -> Receive:
    """A ``receive`` that hands the app the already read ``body`` once, then the live channel."""
    replayed = False

    async def replay() -> Any:
        nonlocal replayed
        if not replayed:
            replayed = True
            last = seen[-1]
            if last["type"] != "http.request":
                return last  # the client went away while sending
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
