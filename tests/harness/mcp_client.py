"""Talking MCP to the server: the SDK client over the tools, and the raw ``initialize`` request.

Two ways in, as the tests need them:

- In memory: :func:`tools_for` and :func:`connect` run the tool server behind the SDK's
  own ``Client`` (no HTTP), and :func:`signed_in` gives the calls a verified access
  token the way the SDK's auth middleware does for HTTP requests.
- Over HTTP by hand: :data:`INITIALIZE` is the one opening request the raw JSON-RPC
  tests send, with :data:`ACCEPT` headers, for the tests that must shape the bytes
  themselves (bad ids, bad bodies, Host and Origin checks).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import httpx
import httpx2
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp_types import Tool

from benchmarks.wire import PROTOCOL_VERSION  # the version the raw HTTP clients speak
from mctltg.app import Services, provision_sandbox_account, tool_deps
from mctltg.tools import SCOPES, ToolDeps, build_mcp_server

__all__ = [
    "ACCEPT",
    "ALL_SCOPES",
    "INITIALIZE",
    "SEND",
    "call",
    "connect",
    "deps_for",
    "error_of",
    "initialize_request",
    "open_session",
    "over_http",
    "signed_in",
    "tools_for",
    "unwrap",
]

#: The headers a Streamable HTTP client sends with every POST.
ACCEPT: Final = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
SEND: Final = "telegram:messages:send"
ALL_SCOPES: Final = frozenset(SCOPES)


def initialize_request(client_name: str = "t", *, request_id: int = 1) -> dict[str, Any]:
    """The JSON-RPC ``initialize`` request that opens a session (``client_name`` may pad it)."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": client_name, "version": "1"},
        },
    }


#: The opening request most raw HTTP tests send.
INITIALIZE: Final = initialize_request()


async def open_session(http: httpx.AsyncClient, mcp_url: str) -> dict[str, str]:
    """Open an MCP session by hand, as a client does; the headers every later request carries."""
    with trio.fail_after(10):
        opened = await http.post(mcp_url, json=INITIALIZE, headers=ACCEPT)
        assert opened.status_code == 200, opened.text
        headers = {
            **ACCEPT,
            "Mcp-Session-Id": opened.headers["mcp-session-id"],
            "Mcp-Protocol-Version": PROTOCOL_VERSION,
        }
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        await http.post(mcp_url, json=initialized, headers=headers)
    return headers


@contextlib.asynccontextmanager
async def tools_for(
    services: Services, user_id: int, *, allow_mark_read: bool = False
) -> AsyncIterator[Client]:
    """An in-process MCP client whose operator identity is logged in as ``user_id``."""
    await provision_sandbox_account(services, telegram_user_id=user_id)
    deps = ToolDeps(
        directory=services.directory,
        operator_mode=True,
        sandbox=True,
        allow_send=False,
        allow_mark_read=allow_mark_read,
    )
    async with Client(build_mcp_server(deps)) as client:
        yield client


def deps_for(services: Services, **changes: Any) -> ToolDeps:
    """The tool dependencies the server would build for ``services``, with ``changes``."""
    return dataclasses.replace(tool_deps(services), **changes)


@contextlib.asynccontextmanager
async def connect(deps: ToolDeps) -> AsyncIterator[Client]:
    """An in-process MCP client over a tool server built from ``deps``."""
    async with Client(build_mcp_server(deps)) as client:
        yield client


@contextlib.contextmanager
def signed_in(subject: str, scopes: frozenset[str] | set[str]) -> Iterator[None]:
    """Calls made inside carry a verified access token for ``subject`` with ``scopes``.

    The SDK's auth middleware sets this context variable for HTTP requests; the in-process
    server tasks started inside the block inherit it the same way.
    """
    token = AccessToken(token="test-token", client_id="test-client", scopes=sorted(scopes), subject=subject)
    reset = auth_context_var.set(AuthenticatedUser(token))
    try:
        yield
    finally:
        auth_context_var.reset(reset)


@contextlib.asynccontextmanager
async def over_http(mcp_url: str, access_token: str) -> AsyncIterator[Client]:
    """The SDK client over real HTTP to a running server, sending ``access_token`` as a client would."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {access_token}"}) as http,
        Client(streamable_http_client(mcp_url, http_client=http)) as client,
    ):
        yield client


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; its structured content."""
    result = await client.call_tool(tool, arguments)
    assert result.structured_content is not None
    assert not result.is_error, result.structured_content
    return result.structured_content


async def error_of(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must fail; its structured error."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.structured_content is not None
    return result.structured_content


def unwrap(text: str) -> str:
    """The message text inside its ``<msg-NONCE>`` wrapper."""
    assert text.startswith("<msg-")
    assert text.endswith(">")
    opening = text.index(">") + 1
    closing = text.rindex("</msg-")
    return text[opening:closing]


#: What MCP means when a tool leaves a hint out (the server sends only values that differ).
_HINT_DEFAULTS: Final = {
    "read_only_hint": False,
    "destructive_hint": True,
    "idempotent_hint": False,
    "open_world_hint": True,
}


def hint(tool: Tool, name: str) -> bool:
    """The value of behaviour hint ``name`` as a client reads it: sent, or MCP's default."""
    value = getattr(tool.annotations, name, None) if tool.annotations is not None else None
    return _HINT_DEFAULTS[name] if value is None else bool(value)
