"""An unknown tool or prompt name is answered with JSON-RPC error -32602 on both protocol
revisions the server speaks, and nothing is logged as a crash.

Over real HTTP: the 2025-11-25 handshake wire (``initialize``, a session) spoken by hand, as
the raw JSON-RPC tests do, and the 2026-07-28 stateless wire through the official SDK client
(``mode="2026-07-28"``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.inprocess import InProcessServer, serve_provisioned
from tests.harness.mcp_client import open_session

WIRES = ["2025-11-25", "2026-07-28"]


async def _error(server: InProcessServer, wire: str, method: str, params: dict[str, Any]) -> tuple[int, str]:
    """The JSON-RPC error code and message ``method`` gets on ``wire``."""
    with trio.fail_after(20):
        if wire == "2026-07-28":
            async with Client(server.mcp_url, mode=wire) as client:
                ask = client.call_tool if method == "tools/call" else client.get_prompt
                with pytest.raises(MCPError) as raised:
                    await ask(params["name"], params["arguments"])
            return raised.value.code, raised.value.message
        async with httpx.AsyncClient() as http:
            headers = await open_session(http, server.mcp_url)
            answer = await http.post(
                server.mcp_url,
                json={"jsonrpc": "2.0", "id": 2, "method": method, "params": params},
                headers=headers,
            )
        data = [
            line[5:] for line in answer.text.splitlines() if line.startswith("data:") and line[5:].strip()
        ]
        error = json.loads(data[-1])["error"]
        return error["code"], error["message"]


@pytest.mark.parametrize("wire", WIRES)
async def test_an_unknown_tool_is_a_json_rpc_invalid_params_error(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, wire: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve_provisioned(tmp_path, world, demo) as server:
        code, message = await _error(server, wire, "tools/call", {"name": "no_such_tool", "arguments": {}})
    assert code == INVALID_PARAMS
    assert "Unknown tool: no_such_tool" in message
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("wire", WIRES)
async def test_an_unknown_prompt_is_a_json_rpc_invalid_params_error_without_a_traceback(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, wire: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve_provisioned(tmp_path, world, demo) as server:
        code, message = await _error(server, wire, "prompts/get", {"name": "no_such_prompt", "arguments": {}})
    assert code == INVALID_PARAMS
    assert "Unknown prompt: no_such_prompt" in message
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not any(r.exc_info for r in caplog.records)


async def test_a_tool_the_read_only_filter_removes_is_unknown_too(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo, MCP_TOOL_FILTER="read-only") as server:
        arguments = {"peer": "me", "text": "hi"}
        code, message = await _error(
            server, "2025-11-25", "tools/call", {"name": "send_message", "arguments": arguments}
        )
    assert code == INVALID_PARAMS
    assert "Unknown tool: send_message" in message
