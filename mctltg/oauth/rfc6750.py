"""RFC 6750 — Bearer Token Usage: the ``WWW-Authenticate`` challenge at ``/mcp``.

https://www.rfc-editor.org/rfc/rfc6750 §3 and §3.1; RFC 9728 §5.1 adds
``resource_metadata``, which is how an MCP client discovers where to sign in. A request
without credentials gets a challenge *without* an error code (§3.1: "SHOULD NOT
include an error code"); a request whose token fails gets ``error="invalid_token"``
(that answer comes from the MCP SDK's bearer middleware, which runs our verifier).

:func:`require_bearer` is a raw ASGI wrapper (no framework) placed in front of the
SDK's app for the first case.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["bearer_challenge", "has_bearer", "require_bearer"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bearer_challenge(
    *,
    resource_metadata: str,
    error: str | None = None,
    description: str | None = None,
    scope: str | None = None,
) -> str:
    """A ``WWW-Authenticate`` value: ``Bearer`` with the given auth-params (§3)."""
    params: list[str] = []
    if error:
        params.append(f"error={_quoted(error)}")
    if description:
        params.append(f"error_description={_quoted(description)}")
    if scope:
        params.append(f"scope={_quoted(scope)}")
    params.append(f"resource_metadata={_quoted(resource_metadata)}")
    return "Bearer " + ", ".join(params)


def has_bearer(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether an ASGI header list carries ``Authorization: Bearer <something>``."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, credentials = value.decode("latin-1").strip().partition(" ")
            return scheme.lower() == "bearer" and bool(credentials.strip())
    return False


def require_bearer(app: ASGIApp, *, resource_metadata: str, scope: str | None = None) -> ASGIApp:
    """Answer credential-less HTTP requests with 401 and a discovery challenge; pass the rest to ``app``.

    ``scope`` is what the challenge tells a client to request (MCP 2025-11-25, "Scope
    Selection Strategy": a client uses the challenge's ``scope`` before any list of
    supported scopes); the 401 the SDK gives an invalid token carries it too, so a client
    never falls back to requesting every scope the server knows.
    CORS preflights (``OPTIONS``) pass through: browsers never attach credentials to them.
    """
    challenge = bearer_challenge(resource_metadata=resource_metadata, scope=scope).encode("latin-1")
    invalid = bearer_challenge(
        resource_metadata=resource_metadata,
        error="invalid_token",
        description="The access token is invalid or expired; sign in again.",
        scope=scope,
    ).encode("latin-1")
    body = json.dumps(
        {
            "error": "unauthorized",
            "error_description": "This MCP server needs an OAuth access token; sign in through your client.",
        }
    ).encode()

    async def with_scope(message: MutableMapping[str, Any], send: Send) -> None:
        if message["type"] == "http.response.start" and message.get("status") == 401:
            headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"www-authenticate"]
            message = {**message, "headers": [*headers, (b"www-authenticate", invalid)]}
        await send(message)

    async def guarded(http: Scope, receive: Receive, send: Send) -> None:
        if http["type"] != "http" or http.get("method") == "OPTIONS":
            await app(http, receive, send)
            return
        if has_bearer(http.get("headers", [])):

            async def rewrite(message: MutableMapping[str, Any]) -> None:
                await with_scope(message, send)

            await app(http, receive, rewrite if scope else send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", challenge),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return guarded
