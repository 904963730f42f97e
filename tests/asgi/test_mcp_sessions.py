"""A request whose session the client ends (DELETE) while it is in flight is not a server error.

Two moments of the race. Before the SDK looks the session up, with the real SDK: the racing
request's body is handed over only after the DELETE was answered (the stack ``build_asgi_app``
wraps around the SDK, without the body limit, which would read the body first). After the
SDK started its SSE answer: the SDK then logs "SSE response error" and tries a second answer,
a 500, which Hypercorn refuses; that moment depends on task scheduling inside the SDK, so
there the SDK is stood in for by an app that does exactly what it was recorded doing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import trio
from prometheus_client import generate_latest

from benchmarks.wire import PROTOCOL_VERSION
from mctltg.app import open_services, tool_deps
from mctltg.asgi import observe_http
from mctltg.asgi.host_guard import HostAllowlist
from mctltg.asgi.mcp_sessions import SessionGuard
from mctltg.observability.metrics import Metrics
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.tools import build_mcp_server
from tests.harness.mcp_client import INITIALIZE
from tests.harness.settings import sandbox_settings

Answer = tuple[int, dict[bytes, bytes], bytes]


async def _request(
    app: Any,
    method: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    *,
    before_body: Callable[[], Awaitable[None]] | None = None,
) -> Answer:
    raw = b"" if body is None else json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8765),
        "client": ("127.0.0.1", 40000),
        "headers": [
            (k.lower().encode(), v.encode()) for k, v in {"Host": "127.0.0.1:8765", **headers}.items()
        ],
    }
    sent_body = False
    starts: list[int] = []
    answer_headers: dict[bytes, bytes] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            if before_body is not None:
                await before_body()
            return {"type": "http.request", "body": raw, "more_body": False}
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            starts.append(message["status"])
            answer_headers.update(dict(message.get("headers", [])))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    assert len(starts) == 1, f"the client was sent {len(starts)} answers: {starts}"
    return starts[0], answer_headers, b"".join(chunks)


async def test_a_request_whose_session_was_deleted_before_dispatch_is_answered_404_not_500(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = sandbox_settings(tmp_path, ADDR="127.0.0.1:8765")
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with open_services(settings, world=world) as services:
        mcp = build_mcp_server(tool_deps(services))
        sdk = mcp.streamable_http_app(
            json_response=False,
            stateless_http=False,
            transport_security=HostAllowlist.from_settings(settings).transport_security(),
            host=settings.host,
        )
        guard = SessionGuard(sdk, mcp.session_manager, per_identity=None)
        app = observe_http(guard, metrics=services.metrics, route_of=lambda _method, path: path)
        with trio.fail_after(20):
            async with mcp.session_manager.run():
                status, headers, _ = await _request(app, "POST", accept, INITIALIZE)
                assert status == 200
                session = {
                    **accept,
                    "Mcp-Session-Id": headers[b"mcp-session-id"].decode(),
                    "Mcp-Protocol-Version": PROTOCOL_VERSION,
                }
                await _request(
                    app, "POST", session, {"jsonrpc": "2.0", "method": "notifications/initialized"}
                )

                async def client_ends_the_session() -> None:
                    ended, _, _ = await _request(app, "DELETE", session)
                    assert ended == 200

                call = {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "tools/call",
                    "params": {"name": "get_my_identity"},
                }
                status, _, body = await _request(
                    app, "POST", session, call, before_body=client_ends_the_session
                )

                assert status == 404
                assert json.loads(body)["error"]["message"] == "Session not found"
                after, _, _ = await _request(app, "POST", session, call)
                assert after == 404  # the same answer as any request after the DELETE
    counted = generate_latest(services.metrics.registry).decode()
    assert 'route="/mcp",status="404"' in counted
    assert 'status="500"' not in counted


class _Session:
    """The SDK transport as the guard sees it in the manager's table."""

    is_terminated = False


async def test_a_late_500_from_a_session_ended_mid_answer_is_dropped_and_not_counted() -> None:
    session = _Session()
    manager = type("Manager", (), {"_server_instances": {"s1": session}})()

    async def sdk(scope: Any, receive: Any, send: Any) -> None:
        """mcp 2.x when a DELETE ends the session after the SSE answer started (recorded traceback)."""
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        session.is_terminated = True
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"Error handling POST request"})
        raise anyio.ClosedResourceError

    metrics = Metrics()
    app = observe_http(
        SessionGuard(sdk, manager, per_identity=None), metrics=metrics, route_of=lambda _method, path: path
    )
    with trio.fail_after(5):
        status, _, body = await _request(app, "POST", {"Mcp-Session-Id": "s1"}, {"jsonrpc": "2.0", "id": 1})
    assert status == 200
    assert b"Error handling" not in body
    counted = generate_latest(metrics.registry).decode()
    assert 'route="/mcp",status="200"' in counted
    assert 'status="500"' not in counted


async def test_a_500_from_a_live_session_still_reaches_the_client() -> None:
    manager = type("Manager", (), {"_server_instances": {"s1": _Session()}})()

    async def sdk(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"boom"})

    app = SessionGuard(sdk, manager, per_identity=None)
    with trio.fail_after(5):
        status, _, body = await _request(app, "POST", {"Mcp-Session-Id": "s1"}, {"jsonrpc": "2.0", "id": 1})
    assert (status, body) == (500, b"boom")
