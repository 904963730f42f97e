"""Broken requests at the HTTP and JSON-RPC level get a clear error, and the server keeps serving.

Each case goes to a live session over real HTTP; after it, the same session must
still answer ``tools/list`` — one bad request never costs anyone their session.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from mctltg.sandbox import SandboxWorld
from tests.harness.inprocess import serve_in_process
from tests.harness.mcp_client import open_session
from tests.harness.settings import sandbox_settings

TOOLS_LIST = b'{"jsonrpc":"2.0","id":99,"method":"tools/list"}'


@pytest.fixture
async def session(
    tmp_path: Path, world: SandboxWorld
) -> AsyncIterator[tuple[httpx.AsyncClient, str, dict[str, str]]]:
    async with (
        serve_in_process(sandbox_settings(tmp_path), world) as server,
        httpx.AsyncClient(timeout=10) as http,
    ):
        headers = await open_session(http, server.mcp_url)
        yield http, server.mcp_url, headers


async def _still_serves(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
    answer = await http.post(url, content=TOOLS_LIST, headers=headers)
    assert answer.status_code == 200
    assert '"list_dialogs"' in answer.text


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b'{"jsonrpc":"2.0","id":1,"method":', -32700, "Parse error"),
        (b"", -32700, "Parse error"),
        (b'{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"x":"\xff\xfe"}}', -32700, "Parse error"),
        (b"\xc3\x28\xa0\xa1", -32700, "Parse error"),
        (b"[" * 100_000 + b"]" * 100_000, -32700, "recursion limit exceeded"),
        (
            b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_dialogs","arguments":{"query":'
            + b'{"a":' * 5000
            + b"1"
            + b"}" * 5000
            + b"}}}",
            -32700,
            "recursion limit exceeded",
        ),
        (b"[]", -32602, "Validation error"),
        (b'"tools/list"', -32602, "Validation error"),
        (b'{"id":1,"method":"tools/list"}', -32602, "Validation error"),
        (b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":[1,2]}', -32602, "Validation error"),
        (b'[{"jsonrpc":"2.0","id":4,"method":"tools/list"}]', -32602, "Validation error"),
    ],
    ids=[
        "truncated",
        "empty",
        "invalid-utf8-in-a-string",
        "invalid-utf8-bytes",
        "deeply-nested-array",
        "deeply-nested-arguments",
        "array",
        "bare-string",
        "no-jsonrpc-version",
        "params-not-an-object",
        "batch",
    ],
)
async def test_a_malformed_message_gets_a_json_rpc_error_and_the_session_survives(
    session: tuple[httpx.AsyncClient, str, dict[str, str]], body: bytes, code: int, says: str
) -> None:
    http, url, headers = session
    with trio.fail_after(20):
        answer = await http.post(url, content=body, headers=headers)
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["code"] == code
        assert says in error["message"]
        assert "Traceback" not in answer.text
        await _still_serves(http, url, headers)


async def test_an_unknown_method_is_method_not_found(
    session: tuple[httpx.AsyncClient, str, dict[str, str]],
) -> None:
    http, url, headers = session
    with trio.fail_after(10):
        answer = await http.post(
            url, content=b'{"jsonrpc":"2.0","id":5,"method":"nope/nope"}', headers=headers
        )
        data = next(line[5:] for line in answer.text.splitlines() if line.startswith("data:"))
        assert json.loads(data)["error"]["code"] == -32601
        await _still_serves(http, url, headers)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
async def test_a_wrong_content_type_is_refused_plainly(
    session: tuple[httpx.AsyncClient, str, dict[str, str]], content_type: str | None
) -> None:
    http, url, headers = session
    sent = {key: value for key, value in headers.items() if key != "Content-Type"}
    if content_type is not None:
        sent["Content-Type"] = content_type
    with trio.fail_after(10):
        answer = await http.post(url, content=TOOLS_LIST, headers=sent)
        assert answer.status_code == 400
        assert answer.text == "Invalid Content-Type header"
        await _still_serves(http, url, headers)


async def test_a_client_that_accepts_neither_json_nor_sse_is_told_what_to_accept(
    session: tuple[httpx.AsyncClient, str, dict[str, str]],
) -> None:
    http, url, headers = session
    with trio.fail_after(10):
        answer = await http.post(url, content=TOOLS_LIST, headers={**headers, "Accept": "text/html"})
        assert answer.status_code == 406
        assert "must accept both application/json and text/event-stream" in answer.json()["error"]["message"]
        await _still_serves(http, url, headers)


async def test_an_unknown_session_id_is_not_found(
    session: tuple[httpx.AsyncClient, str, dict[str, str]],
) -> None:
    http, url, headers = session
    with trio.fail_after(10):
        answer = await http.post(url, content=TOOLS_LIST, headers={**headers, "Mcp-Session-Id": "f" * 32})
        assert answer.status_code == 404
        await _still_serves(http, url, headers)
