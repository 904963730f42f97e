"""The official MCP TypeScript SDK client (npm) signs in through OAuth, calls a tool, and refreshes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from mctltg.app import provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.oidc import Browser, start_oauth_server
from tests.harness.processes import NODE_DIR, node_binary

pytestmark = pytest.mark.slow

REDIRECT_URI = "http://127.0.0.1:9/ts-callback"


class Lines:
    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self.stream = stream
        self.buffer = b""
        self.seen: list[str] = []

    async def next_event(self) -> dict[str, Any]:
        while True:
            while b"\n" not in self.buffer:
                chunk = await self.stream.receive_some(65536)
                if not chunk:
                    raise AssertionError("the TypeScript client exited:\n" + "\n".join(self.seen))
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\n", 1)
            text = line.decode(errors="replace")
            self.seen.append(text)
            if text.startswith("{"):
                return dict(json.loads(text))


async def test_the_typescript_sdk_client_completes_the_oauth_dance_and_refreshes(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with (
        start_oauth_server(tmp_path, world, TG_LOGIN_CLIENTS=str(demo.me)) as server,
        httpx.AsyncClient() as browser_http,
    ):
        await provision_sandbox_account(server.services, telegram_user_id=demo.me, subject=f"tg:{demo.me}")
        process = await trio.lowlevel.open_process(
            [node_binary(), str(NODE_DIR / "ts-client.mjs"), server.mcp_url, REDIRECT_URI],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=NODE_DIR,
        )
        try:
            assert process.stdout is not None
            assert process.stdin is not None
            lines = Lines(process.stdout)
            with trio.fail_after(60):
                authorize = await lines.next_event()
                assert authorize["event"] == "authorize", authorize
                landed = await Browser(browser_http).authorize(
                    authorize["url"], telegram_id=demo.me, stop_at=REDIRECT_URI
                )
                await process.stdin.send_all(landed.encode() + b"\n")
                first = await lines.next_event()
                second = await lines.next_event()
                refreshed = await lines.next_event()
                done = await lines.next_event()
        finally:
            if process.returncode is None:
                process.kill()
            with trio.move_on_after(5):
                await process.wait()
    assert first["event"] == "tool"
    assert not first["result"].get("isError"), first
    peers = {d["peer"] for d in first["result"]["structuredContent"]["dialogs"]}
    assert f"chat:{demo.group}" in peers
    assert second["event"] == "tool"
    assert not second["result"].get("isError"), second
    assert len(second["result"]["structuredContent"]["dialogs"]) == 1
    assert refreshed["event"] == "refreshed"
    assert refreshed["tokens"]["rotated"] is True
    assert refreshed["tokens"]["saves"] == 2  # the code exchange, then one refresh
    assert "telegram:dialogs:read" in refreshed["tokens"]["scope"].split()
    assert done == {"event": "done"}
