"""The one ASGI callable Hypercorn serves.

``/mcp`` and ``/mcp/`` go to the MCP SDK's Streamable HTTP app (both answer; no
slash redirect, which trips clients), the protected-resource metadata goes to the
SDK when it owns auth, and everything else goes to the Quart-Trio web app. The
lifespan runs the SDK's session manager around the web app's own lifespan, so
both live in Hypercorn's Trio nursery tree and stop with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["ASGIApp", "create_asgi_app"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MCP_PATHS = frozenset({"/mcp", "/mcp/"})


def create_asgi_app(
    *, mcp_app: ASGIApp, session_manager: Any, web_app: ASGIApp, sdk_paths: tuple[str, ...] = ()
) -> ASGIApp:
    """Route requests between the MCP SDK and the web app.

    Args:
        mcp_app: the SDK's Starlette app from ``MCPServer.streamable_http_app``.
        session_manager: its ``StreamableHTTPSessionManager``; run for the app's lifetime.
        web_app: the Quart-Trio app serving everything else.
        sdk_paths: extra path prefixes the SDK app owns (protected-resource metadata).
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            async with session_manager.run():
                await web_app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path in _MCP_PATHS:
            if path == "/mcp/":
                scope = dict(scope, path="/mcp", raw_path=b"/mcp")
            await mcp_app(scope, receive, send)
        elif sdk_paths and path.startswith(sdk_paths):
            await mcp_app(scope, receive, send)
        else:
            await web_app(scope, receive, send)

    return app
