"""The step-up challenge at ``/mcp``: a ``tools/call`` the token lacks the scope for gets 403.

MCP's scope challenge (2025-11-25, "Scope Challenge Handling") is an HTTP answer, so it
has to be given before the MCP SDK answers the request in a 200 stream. This wrapper
reads the POSTed JSON-RPC body (already bounded by ``body_limit``), and for a
``tools/call`` request carrying a bearer token asks ``challenge`` (the authorization
server's decision, ``oauth/step_up.py``, handed in by the composition root) whether to
answer 403 ``insufficient_scope`` with the ``WWW-Authenticate`` value it returns.
Everything else goes to the SDK unchanged, body replayed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

from mctltg.asgi.dispatch import ASGIApp, Receive, Scope, Send
from mctltg.asgi.jsonrpc_ids import read_body, replaying

__all__ = ["Challenge", "challenge_tool_scopes"]

#: ``(Authorization header value, tool name) -> WWW-Authenticate value, or None to pass``.
Challenge = Callable[[str, str], Awaitable[str | None]]

_BODY: Final = json.dumps(
    {
        "error": "insufficient_scope",
        "error_description": "This tool needs a scope your access token lacks; authorize this client again.",
    }
).encode()


def _tool_called(body: bytes) -> str | None:
    """The tool name of a single ``tools/call`` request in ``body``, else None."""
    try:
        message: Any = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict) or message.get("method") != "tools/call" or "id" not in message:
        return None
    params = message.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    return name if isinstance(name, str) else None


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            return bytes(value).decode("latin-1")
    return None


def challenge_tool_scopes(app: ASGIApp, *, challenge: Challenge) -> ASGIApp:
    """Wrap the MCP app so ``challenge`` can answer a ``tools/call`` with 403 first."""

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        authorization = _authorization(scope) if scope["type"] == "http" else None
        if authorization is None or scope.get("method") != "POST":
            await app(scope, receive, send)
            return
        body, seen = await read_body(receive)
        tool = _tool_called(body)
        answer = None if tool is None else await challenge(authorization, tool)
        if answer is None:
            await app(scope, replaying(body, seen, receive), send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_BODY)).encode()),
                    (b"www-authenticate", answer.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _BODY})

    return checked
