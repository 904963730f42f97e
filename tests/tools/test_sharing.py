"""A sharing rule hides a chat from every tool and every count, over real MCP HTTP on the sandbox.

The peer-naming tools are read off ``tools.registry.TOOLS`` (every parameter whose name
says ``peer``), so a tool added later is tested here without anyone listing it; each is
asked about an unshared chat and about one that does not exist, and must answer both
with the same sentence and without calling Telegram at all.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trio
from mcp import Client

from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.tools.registry import TOOLS
from tests.harness.inprocess import serve_provisioned

UNKNOWN = "user:987654321"
#: Real sends, marks and pins are allowed: a refusal must come from the rule, not the gate.
OPEN = {"ALLOW_SEND": "true", "ALLOW_MARK_READ": "true"}


def peer_parameters(declared: Any) -> list[str]:
    return [name for name in inspect.signature(declared.fn).parameters if "peer" in name]


PEER_TOOLS = [(t.name, p) for t in TOOLS for p in peer_parameters(t)]
#: What a tool needs beyond its required arguments to get as far as naming its chat.
EXTRA: dict[str, dict[str, Any]] = {"send_media": {"data_base64": "aGVsbG8="}}


def _sample(schema: dict[str, Any]) -> Any:
    """A valid value for one JSON Schema property (the tools' own schemas)."""
    if "enum" in schema:
        return schema["enum"][0]
    options = schema.get("anyOf", [schema])
    kinds = [o["type"] for o in options if "type" in o]
    flat = [k for kind in kinds for k in (kind if isinstance(kind, list) else [kind]) if k != "null"]
    return {"string": "👍", "integer": 1, "boolean": False, "array": [1], "number": 1}[flat[0]]


@asynccontextmanager
async def shared_server(tmp_path: Path, world: SandboxWorld, demo: DemoWorld) -> AsyncIterator[Client]:
    """The demo account sharing only the club group and Charles (set with the tool itself)."""
    async with serve_provisioned(tmp_path, world, demo, send_enabled=True, **OPEN) as server:
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                chosen = [f"chat:{demo.group}", f"user:{demo.contacts[0]}"]
                result = await client.call_tool("set_shared_chats", {"chats": chosen})
                assert not result.is_error, result
                yield client


@pytest.mark.parametrize(("tool", "parameter"), PEER_TOOLS)
async def test_a_tool_refuses_an_unshared_chat_as_it_refuses_one_that_does_not_exist(
    tool: str, parameter: str, tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    unshared = f"user:{demo.contacts[1]}"  # Mary: a real chat, with unread messages and a draft
    async with shared_server(tmp_path, world, demo) as client:
        with trio.fail_after(60):
            listed = {t.name: t for t in (await client.list_tools()).tools}
            schema = listed[tool].input_schema
            base = {name: _sample(schema["properties"][name]) for name in schema.get("required", [])}
            base |= EXTRA.get(tool, {})
            declared = next(t for t in TOOLS if t.name == tool)
            base |= dict.fromkeys(peer_parameters(declared), f"chat:{demo.group}")
            answers = []
            for peer in (unshared, UNKNOWN):
                mark = world.mark()
                result = await client.call_tool(tool, {**base, parameter: peer})
                answers.append((result, world.calls_since(mark), peer))
    sentences = set()
    for result, calls, peer in answers:
        assert result.is_error, (tool, peer, result)
        assert result.structured_content is not None
        assert result.structured_content["error"] == "not_shared", result.structured_content
        assert calls == [], (tool, peer, calls)
        sentences.add(result.structured_content["message"].replace(peer, "PEER"))
    assert len(sentences) == 1


async def test_listings_searches_and_counts_leave_an_unshared_chat_out(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    mary, shared = f"user:{demo.contacts[1]}", {f"chat:{demo.group}", f"user:{demo.contacts[0]}"}
    async with shared_server(tmp_path, world, demo) as client:
        with trio.fail_after(60):
            dialogs = await client.call_tool("list_dialogs", {"limit": 200})
            unread = await client.call_tool("get_unread_messages", {"limit": 200})
            found = await client.call_tool("search_messages", {"query": "Note G"})
            people = await client.call_tool("search_contacts", {"query": "Mary"})
            drafts = await client.call_tool("get_drafts", {})
            folders = await client.call_tool("list_folders", {})
    assert {d["peer"] for d in dialogs.structured_content["dialogs"]} == shared  # type: ignore[index]
    chats = unread.structured_content["chats"]  # type: ignore[index]
    assert {c["peer"] for c in chats} <= shared
    # Counts too: the club group's 3 and Charles's 1, never Mary's 2.
    assert sum(c["unread_count"] for c in chats) == 4
    assert unread.structured_content is not None
    everywhere = unread.structured_content.get("peer")
    assert {m.get("peer", everywhere) for m in unread.structured_content["messages"]} <= shared
    assert found.structured_content["messages"] == []  # type: ignore[index]
    assert all(r["peer"] != mary for r in people.structured_content["results"])  # type: ignore[index]
    assert drafts.structured_content["drafts"] == []  # type: ignore[index]
    for folder in folders.structured_content["folders"]:  # type: ignore[index]
        assert set(folder.get("chats") or ()) <= shared


async def test_an_assistant_can_narrow_its_view_but_never_widen_it(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    charles = f"user:{demo.contacts[0]}"
    async with shared_server(tmp_path, world, demo) as client:
        with trio.fail_after(60):
            shown = await client.call_tool("set_shared_chats", {})
            narrowed = await client.call_tool("set_shared_chats", {"chats": [charles]})
            widened = await client.call_tool("set_shared_chats", {"chats": [charles, f"chat:{demo.group}"]})
            excluded = await client.call_tool("set_shared_chats", {"exclude": [charles]})
            dialogs = await client.call_tool("list_dialogs", {})
    assert shown.structured_content is not None
    assert shown.structured_content["chats"] == sorted([f"chat:{demo.group}", charles])
    assert narrowed.structured_content is not None
    assert narrowed.structured_content["chats"] == [charles]
    assert widened.is_error
    assert widened.structured_content is not None
    assert widened.structured_content["error"] == "permission_denied"
    assert "manage page" in widened.structured_content["message"]
    assert excluded.structured_content is not None
    assert excluded.structured_content["excluded"] == [charles]
    assert dialogs.structured_content is not None
    assert dialogs.structured_content["dialogs"] == []


async def test_the_audit_log_shows_no_unshared_chat_nor_the_chat_of_a_refused_call(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    mary, charles = f"user:{demo.contacts[1]}", f"user:{demo.contacts[0]}"
    async with serve_provisioned(tmp_path, world, demo) as server:
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                await client.call_tool("get_messages", {"peer": mary, "limit": 1})  # before the rule
                await client.call_tool("set_shared_chats", {"chats": [charles]})
                await client.call_tool("get_messages", {"peer": charles, "limit": 1})
                await client.call_tool("get_messages", {"peer": UNKNOWN, "limit": 1})
                log = await client.call_tool("get_my_audit_log", {})
    assert log.structured_content is not None
    peers = [e.get("peer") for e in log.structured_content["entries"] if e["tool"] == "get_messages"]
    assert peers == [None, charles, None]  # newest first: the unknown, Charles, Mary


async def test_fetch_refuses_a_message_of_an_unshared_chat_as_one_of_a_chat_that_does_not_exist(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    unshared = f"user:{demo.contacts[1]}"
    message = next(m.id for m in world.history(viewer=demo.me, peer=unshared) if not m.service)
    async with shared_server(tmp_path, world, demo) as client:
        answers = []
        for peer in (unshared, UNKNOWN):
            mark = world.mark()
            result = await client.call_tool("fetch", {"id": f"{peer}/{message}"})
            answers.append((result, world.calls_since(mark), peer))
    sentences = set()
    for result, calls, peer in answers:
        assert result.is_error, (peer, result)
        assert result.structured_content is not None
        assert result.structured_content["error"] == "not_shared", result.structured_content
        assert calls == [], (peer, calls)
        sentences.add(result.structured_content["message"].replace(peer, "PEER"))
    assert len(sentences) == 1
