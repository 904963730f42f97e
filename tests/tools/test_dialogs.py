"""``list_dialogs`` through the MCP SDK in process, over real Telethon and the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.tools import ToolDeps, build_mcp_server


@pytest.fixture
async def client(services: Services, demo: DemoWorld) -> AsyncIterator[Client]:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    deps = ToolDeps(directory=services.directory, operator_mode=True, sandbox=True, allow_send=False)
    async with Client(build_mcp_server(deps)) as connected:
        yield connected


async def test_dialogs_come_back_with_canonical_peers_and_unread_counts(
    client: Client, world: SandboxWorld, demo: DemoWorld
) -> None:
    result = await client.call_tool("list_dialogs", {})
    assert not result.is_error
    assert result.structured_content is not None
    dialogs = result.structured_content["dialogs"]
    peers = {dialog["peer"] for dialog in dialogs}
    assert f"chat:{demo.group}" in peers
    assert f"channel:{demo.channel}" in peers
    assert f"channel:{demo.supergroup}" in peers
    channel = next(d for d in dialogs if d["peer"] == f"channel:{demo.channel}")
    assert channel["type"] == "channel"
    assert channel["last_message_date"].endswith("Z")
    assert any(d.get("muted") for d in dialogs)
    unread_in_world = {d["peer"]: d["unread_count"] for d in dialogs}
    assert sum(unread_in_world.values()) > 0


async def test_limit_caps_the_number_of_dialogs(client: Client) -> None:
    result = await client.call_tool("list_dialogs", {"limit": 2})
    assert result.structured_content is not None
    assert len(result.structured_content["dialogs"]) == 2


async def test_query_filters_by_title_case_insensitively(client: Client) -> None:
    everything = await client.call_tool("list_dialogs", {"limit": 200})
    assert everything.structured_content is not None
    first = everything.structured_content["dialogs"][0]["title"]
    needle = first[: max(3, len(first) // 2)].upper()
    result = await client.call_tool("list_dialogs", {"query": needle})
    assert result.structured_content is not None
    titles = [d["title"] for d in result.structured_content["dialogs"]]
    assert first in titles
    assert all(
        needle.casefold() in t.casefold() or needle.casefold() in (d.get("username") or "").casefold()
        for t, d in zip(titles, result.structured_content["dialogs"], strict=True)
    )


@pytest.mark.parametrize("limit", [0, 201, -1])
async def test_an_out_of_range_limit_is_a_clear_tool_error(client: Client, limit: int) -> None:
    result = await client.call_tool("list_dialogs", {"limit": limit})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "invalid_input"
    assert result.structured_content["field"] == "limit"


async def test_every_result_says_it_comes_from_the_sandbox(client: Client) -> None:
    result = await client.call_tool("list_dialogs", {"limit": 1})
    assert result.structured_content is not None
    assert result.structured_content["sandbox"] is True


async def test_a_caller_without_an_account_is_told_how_to_connect(services: Services) -> None:
    deps = ToolDeps(directory=services.directory, operator_mode=True, sandbox=True, allow_send=False)
    async with Client(build_mcp_server(deps)) as connected:
        result = await connected.call_tool("list_dialogs", {})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "no_account"
    assert "mctltg login" in result.structured_content["message"]


async def test_the_accounts_own_chat_is_listed_as_saved_messages(client: Client, demo: DemoWorld) -> None:
    result = await client.call_tool("list_dialogs", {"limit": 200})
    assert result.structured_content is not None
    own = [d for d in result.structured_content["dialogs"] if d["peer"] == f"user:{demo.me}"]
    assert [d["title"] for d in own] == ["Saved Messages"]
