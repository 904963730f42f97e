"""`mctltg demo` end to end: a real process, real HTTP, the official MCP client."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import trio
from mcp import Client

from tests.harness.mcp_client import ACCEPT, INITIALIZE, hint
from tests.harness.processes import start_demo

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "mctltg.service"


def _stop_timeout() -> float:
    """The systemd unit's TimeoutStopSec: after it systemd kills the server."""
    found = re.search(r"^TimeoutStopSec=(\d+)$", UNIT.read_text(encoding="utf-8"), re.MULTILINE)
    assert found is not None
    return float(found.group(1))


async def test_an_mcp_client_lists_tools_and_calls_list_dialogs_on_the_demo() -> None:
    async with start_demo() as server:
        with trio.fail_after(30):
            async with Client(f"{server.url}/mcp") as client:
                tools = {tool.name: tool for tool in (await client.list_tools()).tools}
                assert "list_dialogs" in tools
                listed = tools["list_dialogs"]
                assert hint(listed, "read_only_hint") is True
                assert hint(listed, "open_world_hint") is True
                assert listed.output_schema is not None
                result = await client.call_tool("list_dialogs", {"limit": 20})
                assert not result.is_error
                content = result.structured_content
                assert content is not None
                assert content["sandbox"] is True
                titles = {dialog["title"] for dialog in content["dialogs"]}
                assert len(titles) >= 5
                assert all(
                    dialog["peer"].split(":")[0] in ("user", "chat", "channel")
                    for dialog in content["dialogs"]
                )
                assert any(dialog["unread_count"] > 0 for dialog in content["dialogs"])


async def test_out_of_range_input_is_a_clear_tool_error() -> None:
    async with start_demo() as server:
        with trio.fail_after(30):
            async with Client(f"{server.url}/mcp") as client:
                result = await client.call_tool("list_dialogs", {"limit": 500})
                assert result.is_error
                assert result.structured_content == {
                    "error": "invalid_input",
                    "field": "limit",
                    "message": "limit: must be from 1 to 200; got 500",
                    "sandbox": True,
                }


async def test_mcp_with_a_trailing_slash_answers_without_a_redirect() -> None:
    async with start_demo() as server:
        with trio.fail_after(30):
            async with httpx.AsyncClient() as http:
                response = await http.post(f"{server.url}/mcp/", json=INITIALIZE, headers=ACCEPT)
                assert response.status_code == 200
                assert "mcp-session-id" in response.headers


async def test_health_and_readiness_probes_answer() -> None:
    async with start_demo() as server:
        with trio.fail_after(30):
            async with httpx.AsyncClient() as http:
                assert (await http.get(f"{server.url}/healthz")).text == "ok\n"
                assert (await http.get(f"{server.url}/readyz")).status_code == 200


async def test_a_foreign_host_header_is_refused() -> None:
    async with start_demo() as server:
        with trio.fail_after(30):
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    f"{server.url}/mcp", json=INITIALIZE, headers={**ACCEPT, "Host": "evil.example"}
                )
                assert response.status_code in (403, 421)


async def test_sigterm_with_an_open_sse_stream_exits_well_inside_the_units_stop_timeout() -> None:
    async with start_demo() as server:
        with trio.fail_after(30):
            async with httpx.AsyncClient(timeout=30) as http:
                init = await http.post(f"{server.url}/mcp", json=INITIALIZE, headers=ACCEPT)
                session_id = init.headers["mcp-session-id"]
                await http.post(
                    f"{server.url}/mcp",
                    headers={**ACCEPT, "mcp-session-id": session_id, "mcp-protocol-version": "2025-11-25"},
                    json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                )
                stream_headers = {
                    "Accept": "text/event-stream",
                    "mcp-session-id": session_id,
                    "mcp-protocol-version": "2025-11-25",
                }
                async with http.stream("GET", f"{server.url}/mcp", headers=stream_headers) as stream:
                    assert stream.status_code == 200
                    assert stream.headers["content-type"].startswith("text/event-stream")
                    server.process.send_signal(signal.SIGTERM)
                    # An open stream does not hold the shutdown up: without the fix it waits forever;
                    # with it the exit comes after SHUTDOWN_GRACE (2 s), however loaded the machine.
                    with trio.fail_after(_stop_timeout() * 0.75):
                        await server.process.wait()
        assert server.process.returncode == 0, "".join(server.output)
