"""DNS-rebinding protection is on by default; the allowed Host and Origin come from PUBLIC_BASE_URL.

A web page on an attacker's domain can make a browser reach a server on the user's
machine or network by rebinding its own name to that address; the browser then sends
the attacker's name as ``Host`` (and its page as ``Origin``). Refusing every Host and
Origin that is not this server's own stops that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from mctltg.sandbox import SandboxWorld
from tests.harness.inprocess import InProcessServer, serve_in_process
from tests.harness.mcp_client import ACCEPT, INITIALIZE
from tests.harness.settings import sandbox_settings


async def _initialize(server: InProcessServer, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(server.mcp_url, json=INITIALIZE, headers={**ACCEPT, **headers})


@pytest.fixture
async def server(tmp_path: Path, world: SandboxWorld) -> AsyncIterator[InProcessServer]:
    settings = sandbox_settings(tmp_path, PUBLIC_BASE_URL="https://mcp.example.com")
    async with serve_in_process(settings, world) as running:
        yield running


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "mcp.example.com"},
        {"Origin": "https://mcp.example.com"},
        {"Host": "mcp.example.com", "Origin": "https://mcp.example.com"},
        {},  # the loopback address this server is bound to
    ],
)
async def test_the_servers_own_host_and_origin_are_served(
    server: InProcessServer, headers: dict[str, str]
) -> None:
    with trio.fail_after(10):
        response = await _initialize(server, **headers)
    assert response.status_code == 200
    assert "mcp-session-id" in response.headers


@pytest.mark.parametrize(
    "host",
    ["evil.example", "mcp.example.com.evil.example", "evil.example:443", "mcp.example.org", "127.0.0.2:1"],
)
async def test_a_foreign_host_is_refused_before_any_session_exists(
    server: InProcessServer, host: str
) -> None:
    with trio.fail_after(10):
        response = await _initialize(server, Host=host)
    assert response.status_code == 421
    assert response.text == "Invalid Host header"
    assert "mcp-session-id" not in response.headers


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "http://mcp.example.com", "https://mcp.example.com.evil.example", "null"],
)
async def test_a_foreign_origin_is_refused(server: InProcessServer, origin: str) -> None:
    with trio.fail_after(10):
        response = await _initialize(server, Origin=origin)
    assert response.status_code == 403
    assert response.text == "Invalid Origin header"
    assert "mcp-session-id" not in response.headers


# -- every web page, not only /mcp ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/telegram/signin", "/telegram/manage", "/telegram/connect"])
async def test_a_rebound_host_gets_no_web_page_and_no_session(server: InProcessServer, path: str) -> None:
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        with trio.fail_after(10):
            response = await http.get(
                server.base_url + path, headers={"Host": f"rebind.attacker.example:{server.port}"}
            )
    assert response.status_code == 421
    assert response.text == "Invalid Host header"
    assert "set-cookie" not in response.headers


async def test_a_foreign_origin_cannot_post_to_a_web_page(server: InProcessServer) -> None:
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        with trio.fail_after(10):
            response = await http.post(
                server.base_url + "/telegram/signout", headers={"Origin": "https://evil.example"}
            )
    assert response.status_code == 403
    assert response.text == "Invalid Origin header"


async def test_a_form_posted_with_origin_null_from_the_servers_own_page_is_not_refused(
    server: InProcessServer,
) -> None:
    # Browsers send "Origin: null" for forms on pages with Referrer-Policy: no-referrer.
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        with trio.fail_after(10):
            response = await http.post(server.base_url + "/telegram/signout", headers={"Origin": "null"})
    assert response.status_code == 303


async def test_the_servers_own_host_still_gets_its_pages_and_probes_answer_any_host(
    server: InProcessServer,
) -> None:
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as http:
        with trio.fail_after(10):
            own = await http.get(server.base_url + "/", headers={"Host": "mcp.example.com"})
            loopback = await http.get(server.base_url + "/telegram/signin")
            probe = await http.get(server.base_url + "/healthz", headers={"Host": "10.0.0.5:8000"})
    assert own.status_code == 200
    assert loopback.status_code in (302, 303)
    assert probe.status_code == 200


async def test_a_rebound_host_cannot_open_the_wizards_websocket(server: InProcessServer) -> None:
    # Even holding a valid session cookie, with an Origin that matches the rebound Host.
    async with httpx.AsyncClient(timeout=10) as http:
        with trio.fail_after(10):
            signed_in = await http.get(server.base_url + "/telegram/signin")
    cookie = signed_in.headers["set-cookie"].split(";", 1)[0]
    rebound = f"rebind.attacker.example:{server.port}"
    handshake = (
        "GET /telegram/connect/ws HTTP/1.1\r\n"
        f"Host: {rebound}\r\nOrigin: http://{rebound}\r\nCookie: {cookie}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with trio.fail_after(10):
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        async with stream:
            await stream.send_all(handshake.encode())
            answer = await stream.receive_some(4096)
    assert answer.startswith(b"HTTP/1.1 403")
