"""A lean Streamable HTTP MCP client for measuring servers, not for using them.

The official SDK client, and even ``httpx`` with a pool of 64 connections, spend
more CPU per call than the server does (measured: ~5 ms of client CPU per call at
64 sessions with ``httpx``), and on a 2-core machine the client and the server share
the cores: a heavy client would measure itself. This one speaks just enough of the
2025-11-25 handshake era (initialize, ``notifications/initialized``, ``tools/call``,
``DELETE``) with ``h11`` over one keep-alive TCP connection per session, and reads
each answer from the SSE body.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import h11
import trio

__all__ = ["PROTOCOL_VERSION", "Connections", "McpError", "WireSession", "open_http"]

PROTOCOL_VERSION: Final = "2025-11-25"
_ACCEPT: Final = (("Accept", "application/json, text/event-stream"), ("Content-Type", "application/json"))


class McpError(Exception):
    """The server answered with an HTTP error or a JSON-RPC error, or the connection broke."""


class _Connection:
    """One HTTP/1.1 keep-alive connection, one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._stream: trio.SocketStream | None = None
        self._h11 = h11.Connection(h11.CLIENT)
        self._lock = trio.Lock()  # HTTP/1.1 without pipelining: one request in flight

    async def request(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            async with self._lock:
                return await self._request(method, target, headers, body)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError, h11.ProtocolError) as exc:
            await self.aclose()
            raise McpError(f"the connection broke: {exc!r}") from exc

    async def _request(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self._stream is None:
            self._stream = await trio.open_tcp_stream(self._host, self._port)
            self._h11 = h11.Connection(h11.CLIENT)
        sent = [("Host", f"{self._host}:{self._port}"), ("Content-Length", str(len(body))), *headers]
        data = self._h11.send(h11.Request(method=method, target=target, headers=sent))
        data += self._h11.send(h11.Data(data=body)) + self._h11.send(h11.EndOfMessage())
        await self._stream.send_all(data)
        status = 0
        answer: dict[str, str] = {}
        chunks: list[bytes] = []
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                received = await self._stream.receive_some(65536)
                self._h11.receive_data(received)
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
                answer = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise McpError("the server closed the connection mid-answer")
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
        else:
            await self.aclose()
        return status, answer, b"".join(chunks)

    async def aclose(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            with trio.CancelScope(shield=True):
                await stream.aclose()


@dataclass(slots=True)
class Connections:
    """Every connection the sessions of one ``open_http`` block opened; closed with it."""

    opened: list[_Connection] = field(default_factory=list)

    def new(self, host: str, port: int) -> _Connection:
        connection = _Connection(host, port)
        self.opened.append(connection)
        return connection


@asynccontextmanager
async def open_http(connections: int = 0) -> AsyncIterator[Connections]:
    """The connections of a run (one per session; ``connections`` is only a hint)."""
    pool = Connections()
    try:
        yield pool
    finally:
        for connection in pool.opened:
            await connection.aclose()


def _answer(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    if status != 200:
        raise McpError(f"HTTP {status}: {body[:200]!r}")
    text = body.decode()
    if headers.get("content-type", "").startswith("text/event-stream"):
        for line in text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                text = line[5:]
                break
        else:
            raise McpError("the SSE stream carried no data event")
    message: dict[str, Any] = json.loads(text)
    if "error" in message:
        raise McpError(str(message["error"]))
    return message


@dataclass(slots=True)
class WireSession:
    """One MCP session (its own ``Mcp-Session-Id``) over its own connection."""

    http: Connections
    url: str
    session_id: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _connection: _Connection | None = None
    _path: str = ""

    def _headers(self) -> list[tuple[str, str]]:
        return [
            *_ACCEPT,
            ("Mcp-Session-Id", self.session_id),
            ("Mcp-Protocol-Version", PROTOCOL_VERSION),
        ]

    async def _post(
        self, message: dict[str, Any], headers: list[tuple[str, str]]
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._connection is not None
        body = json.dumps(message, separators=(",", ":")).encode()
        return await self._connection.request("POST", self._path, headers, body)

    async def open(self) -> WireSession:
        parts = urlsplit(self.url)
        assert parts.hostname is not None
        self._connection = self.http.new(parts.hostname, parts.port or 80)
        self._path = parts.path or "/"
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
        status, headers, body = await self._post(init, list(_ACCEPT))
        _answer(status, headers, body)
        self.session_id = headers["mcp-session-id"]
        status, _, _ = await self._post(
            {"jsonrpc": "2.0", "method": "notifications/initialized"}, self._headers()
        )
        if status not in (200, 202):
            raise McpError(f"notifications/initialized got HTTP {status}")
        return self

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        result: dict[str, Any] = _answer(*await self._post(message, self._headers()))["result"]
        return result

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The ``tools/call`` result; a tool error (``isError``) is a result, not an exception."""
        return await self.request("tools/call", {"name": name, "arguments": arguments})

    async def close(self) -> None:
        assert self._connection is not None
        await self._connection.request("DELETE", self._path, self._headers())
