"""A lean Streamable HTTP MCP client for measuring servers, not for using them.

The official SDK client costs more CPU per call than most servers do, and on a
2-core machine the client and the server share the cores: a heavy client would
measure itself. This one speaks just enough of the 2025-11-25 handshake era
(initialize, ``notifications/initialized``, ``tools/call``, ``DELETE``) over one
shared ``httpx`` connection pool, and reads each answer from the SSE body.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

__all__ = ["PROTOCOL_VERSION", "McpError", "WireSession", "open_http"]

PROTOCOL_VERSION: Final = "2025-11-25"
_ACCEPT: Final = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class McpError(Exception):
    """The server answered with an HTTP error or a JSON-RPC error."""


def open_http(connections: int) -> httpx.AsyncClient:
    """One pool for every session; ``connections`` keep-alive sockets at most."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0))


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise McpError(f"HTTP {response.status_code}: {response.text[:200]}")
    body = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        for line in body.splitlines():
            if line.startswith("data:") and line[5:].strip():
                body = line[5:]
                break
        else:
            raise McpError("the SSE stream carried no data event")
    message: dict[str, Any] = json.loads(body)
    if "error" in message:
        raise McpError(str(message["error"]))
    return message


@dataclass(slots=True)
class WireSession:
    """One MCP session (its own ``Mcp-Session-Id``) over a shared HTTP pool."""

    http: httpx.AsyncClient
    url: str
    session_id: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _headers(self) -> dict[str, str]:
        return {**_ACCEPT, "Mcp-Session-Id": self.session_id, "Mcp-Protocol-Version": PROTOCOL_VERSION}

    async def open(self) -> WireSession:
        init = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "mctltg-bench", "version": "1"},
            },
        }
        response = await self.http.post(self.url, json=init, headers=_ACCEPT)
        _answer(response)
        self.session_id = response.headers["mcp-session-id"]
        done = await self.http.post(
            self.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=self._headers()
        )
        if done.status_code not in (200, 202):
            raise McpError(f"notifications/initialized got HTTP {done.status_code}")
        return self

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        response = await self.http.post(self.url, json=message, headers=self._headers())
        result: dict[str, Any] = _answer(response)["result"]
        return result

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The ``tools/call`` result; a tool error (``isError``) is a result, not an exception."""
        return await self.request("tools/call", {"name": name, "arguments": arguments})

    async def close(self) -> None:
        await self.http.delete(self.url, headers=self._headers())
