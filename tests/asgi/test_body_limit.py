"""A request body over 4 MiB is refused with 413 before it is read, on every path, and the server goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from mctltg.sandbox import SandboxWorld
from tests.harness.inprocess import InProcessServer, serve_in_process
from tests.harness.mcp_client import initialize_request
from tests.harness.settings import sandbox_settings

TEN_MB = 10 * 1024 * 1024
REFUSAL = "Request body too large: the limit is 4 MiB; send less.\n"


@pytest.fixture
async def server(tmp_path: Path, world: SandboxWorld) -> AsyncIterator[InProcessServer]:
    async with serve_in_process(sandbox_settings(tmp_path), world) as running:
        yield running


async def _exchange(server: InProcessServer, head: bytes, body: bytes = b"") -> bytes:
    """Send raw bytes, then read until the server closes the connection."""
    stream = await trio.open_tcp_stream("127.0.0.1", server.port)
    async with stream:
        await stream.send_all(head + body)
        answer = b""
        while chunk := await stream.receive_some(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("path", ["/mcp", "/mcp/", "/healthz", "/oauth/token", "/no-such-page"])
async def test_a_declared_ten_megabyte_body_is_refused_before_it_is_sent(
    server: InProcessServer, path: str
) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json, text/event-stream\r\nContent-Length: {TEN_MB}\r\n\r\n"
    ).encode()
    # Only the headers go out: the answer and the closed connection must come without the body.
    with trio.fail_after(5):
        answer = await _exchange(server, head)
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 413")
    assert rest.endswith(REFUSAL.encode())


async def test_a_chunked_ten_megabyte_body_is_refused_once_it_passes_the_limit(
    server: InProcessServer,
) -> None:
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
    sent = 0
    answer = b""
    with trio.fail_after(30):
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        async with stream, trio.open_nursery() as nursery:

            async def upload() -> None:
                nonlocal sent
                try:
                    await stream.send_all(head)
                    for _ in range(TEN_MB // 65536):
                        await stream.send_all(chunk)
                        sent += 65536
                    await stream.send_all(b"0\r\n\r\n")
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    pass  # the server closed the connection: the rest of the upload is not read

            nursery.start_soon(upload)
            while data := await stream.receive_some(65536):
                answer += data
            nursery.cancel_scope.cancel()
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{server.base_url}/healthz")).text == "ok\n"
    assert answer.startswith(b"HTTP/1.1 413")
    assert answer.endswith(REFUSAL.encode())
    assert sent < TEN_MB


async def test_a_body_under_the_limit_is_served_and_the_server_keeps_serving(server: InProcessServer) -> None:
    initialize = initialize_request("padding " + "x" * (3 * 1024 * 1024))
    with trio.fail_after(20):
        async with httpx.AsyncClient() as http:
            response = await http.post(
                server.mcp_url,
                json=initialize,
                headers={"Accept": "application/json, text/event-stream"},
            )
            assert response.status_code == 200
            assert "mcp-session-id" in response.headers
            assert (await http.get(f"{server.base_url}/healthz")).status_code == 200


READ_TIMEOUT = 1


@pytest.mark.parametrize("path", ["/mcp", "/oauth/token", "/telegram/connect/phone"])
async def test_a_body_trickled_slower_than_the_read_timeout_gets_408_and_the_connection_closes(
    tmp_path: Path, world: SandboxWorld, path: str
) -> None:
    settings = sandbox_settings(tmp_path, HTTP_READ_TIMEOUT=str(READ_TIMEOUT))
    async with serve_in_process(settings, world) as running:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\nContent-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n"
        ).encode()
        stream = await trio.open_tcp_stream("127.0.0.1", running.port)
        answer = b""
        async with stream:
            await stream.send_all(head)

            async def trickle() -> None:
                # One byte at a time, each well inside the timeout, the whole body never.
                for _ in range(100):
                    try:
                        await stream.send_all(b"{")
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        return  # the server hung up
                    await trio.sleep(READ_TIMEOUT / 4)

            with trio.fail_after(READ_TIMEOUT * 10):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(trickle)
                    while chunk := await stream.receive_some(65536):
                        answer += chunk
                    nursery.cancel_scope.cancel()  # closed by the server: stop trickling
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 408"), answer[:200]
    assert rest.endswith(b"Request body too slow: it did not arrive within 1 s; send it again, faster.\n")
