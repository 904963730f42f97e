"""Load: one identity opening MCP sessions without end cannot lock anyone else out of /mcp.

A real server over loopback (its own OAuth issuer, the sandbox Telegram) with a small
global session cap, so the flood reaches it within a bounded number of requests. One
signed-in person without any Telegram scope opens three times the global cap of
sessions and never closes one; another person must still initialize and call a tool,
the number of open sessions must stay within the first person's share plus the other's,
and the server must stop well inside systemd's ``TimeoutStopSec=20`` afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from benchmarks.wire import PROTOCOL_VERSION
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.inprocess import InProcessServer, serve_provisioned
from tests.harness.mcp_client import initialize_request
from tests.harness.oauth import read_only_token
from tests.harness.settings import OAUTH_MODE

pytestmark = pytest.mark.slow

GLOBAL_CAP = 30
PER_IDENTITY = 4
FLOOD = 3 * GLOBAL_CAP
#: Well inside the unit's TimeoutStopSec=20.
STOP_WITHIN = 10


class McpClient:
    """The few MCP requests this test needs, with a bearer token, over plain HTTP."""

    def __init__(self, http: httpx.AsyncClient, url: str, token: str) -> None:
        self._http = http
        self._url = url
        self._token = token
        self.session_id: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "Mcp-Protocol-Version": PROTOCOL_VERSION,
        }
        if self.session_id is not None:
            headers["Mcp-Session-Id"] = self.session_id
        return headers

    async def _post(self, message: dict[str, Any]) -> httpx.Response:
        return await self._http.post(self._url, content=json.dumps(message), headers=self.headers())

    async def initialize(self) -> int:
        """The HTTP status of the opening request (the session is open when it is 200)."""
        answer = await self._post(initialize_request("load"))
        if answer.status_code == 200:
            self.session_id = answer.headers["mcp-session-id"]
            await self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer.status_code

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        params = {"name": name, "arguments": arguments}
        answer = await self._post({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": params})
        assert answer.status_code == 200, answer.text
        lines = answer.text.splitlines()
        data = [line[5:] for line in lines if line.startswith("data:") and line[5:].strip()]
        result: dict[str, Any] = json.loads(data[-1])["result"]
        return result


def open_sessions(server: InProcessServer) -> tuple[float, float]:
    registry = server.services.metrics.registry
    total = registry.get_sample_value("mctltg_mcp_sessions")
    largest = registry.get_sample_value("mctltg_mcp_sessions_largest_share")
    assert total is not None
    assert largest is not None
    return total, largest


async def test_one_identity_opening_sessions_without_end_does_not_lock_out_another(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = {
        **OAUTH_MODE,
        "TG_LOGIN_CLIENTS": str(demo.me),
        "MCP_MAX_SESSIONS": str(GLOBAL_CAP),
        "MCP_MAX_SESSIONS_PER_IDENTITY": str(PER_IDENTITY),
    }
    with trio.fail_after(120), trio.CancelScope() as stopping:
        async with (
            serve_provisioned(tmp_path, world, demo, **settings) as server,
            httpx.AsyncClient(timeout=30) as http,
        ):
            url = server.mcp_url
            flooder = (await read_only_token(server, http, demo.second)).access_token  # no Telegram scope
            person = (await read_only_token(server, http, demo.me)).access_token

            statuses = [await McpClient(http, url, flooder).initialize() for _ in range(FLOOD)]
            assert statuses == [200] * FLOOD  # each opening succeeds: the oldest of its own make way
            total, largest = open_sessions(server)
            assert largest <= PER_IDENTITY
            assert total <= PER_IDENTITY

            client = McpClient(http, url, person)
            assert await client.initialize() == 200
            listed = await client.call_tool("list_dialogs", {"limit": 5})
            assert not listed.get("isError"), listed
            assert listed["structuredContent"]["dialogs"]
            total, _ = open_sessions(server)
            assert total <= PER_IDENTITY + 1

            # The evicted sessions are gone, not merely uncounted: their ids answer 404.
            evicted = McpClient(http, url, flooder)
            assert await evicted.initialize() == 200
            for _ in range(PER_IDENTITY):
                assert await McpClient(http, url, flooder).initialize() == 200
            gone = await http.post(
                url,
                content=json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}),
                headers=evicted.headers(),
            )
            assert gone.status_code == 404

            # Shutdown with sessions open stays well inside the stop timeout: the deadline
            # set here bounds only the server's exit.
            stopping.deadline = trio.current_time() + STOP_WITHIN
    assert not stopping.cancelled_caught
