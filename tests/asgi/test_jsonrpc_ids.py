"""A JSON-RPC request whose id is neither a string nor an integer gets a JSON-RPC error, not a 202."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from mctltg.sandbox import SandboxWorld
from tests.harness.inprocess import InProcessServer, serve_in_process
from tests.harness.mcp_client import open_session
from tests.harness.settings import sandbox_settings


@pytest.fixture
async def session(
    tmp_path: Path, world: SandboxWorld
) -> AsyncIterator[tuple[InProcessServer, dict[str, str]]]:
    async with serve_in_process(sandbox_settings(tmp_path), world) as server:
        async with httpx.AsyncClient(timeout=10) as http:
            headers = await open_session(http, server.mcp_url)
        yield server, headers


@pytest.mark.parametrize("bad_id", [True, 1.5, None, {"a": 1}, [1]])
async def test_a_request_with_an_id_that_is_not_a_string_or_integer_gets_a_json_rpc_error(
    session: tuple[InProcessServer, dict[str, str]], bad_id: object
) -> None:
    server, headers = session
    async with httpx.AsyncClient(timeout=10) as http:
        with trio.fail_after(10):
            response = await http.post(
                server.mcp_url, json={"jsonrpc": "2.0", "id": bad_id, "method": "ping"}, headers=headers
            )
    assert response.status_code == 400
    body = response.json()
    assert body["jsonrpc"] == "2.0"
    assert body["id"] is None
    assert body["error"]["code"] == -32600
    assert "id" in body["error"]["message"]


@pytest.mark.parametrize("good_id", ["x", 7, 0, -3])
async def test_string_and_integer_ids_are_answered(
    session: tuple[InProcessServer, dict[str, str]], good_id: object
) -> None:
    server, headers = session
    async with httpx.AsyncClient(timeout=10) as http:
        with trio.fail_after(10):
            response = await http.post(
                server.mcp_url, json={"jsonrpc": "2.0", "id": good_id, "method": "ping"}, headers=headers
            )
    assert response.status_code == 200
    assert f'"id":{json.dumps(good_id)}' in response.text
