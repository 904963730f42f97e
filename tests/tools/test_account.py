"""``disconnect_telegram_account`` / ``delete_telegram_account`` through the MCP SDK, over the sandbox."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account, tool_deps
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from mctltg.tools import build_mcp_server
from tests.harness.mcp_client import hint


@pytest.fixture
async def client(services: Services) -> AsyncIterator[Client]:
    async with Client(build_mcp_server(tool_deps(services))) as connected:
        yield connected


async def _until_received(world: SandboxWorld, mark: int, request: str) -> None:
    """Return once the world has received ``request`` (checked every 10 ms; the caller bounds it)."""
    while request not in world.calls_since(mark):
        await trio.sleep(0.01)


def _database_bytes(settings: Settings) -> bytes:
    path = Path(settings.database_url)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def test_disconnect_ends_the_session_at_telegram_and_later_calls_say_reconnect(
    client: Client, services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    with trio.fail_after(20):
        assert not (await client.call_tool("list_dialogs", {})).is_error
        result = await client.call_tool("disconnect_telegram_account", {})
        after = await client.call_tool("list_dialogs", {})
        again = await client.call_tool("disconnect_telegram_account", {})
    assert result.structured_content is not None
    assert result.structured_content["disconnected"] is True
    assert result.structured_content["had_active_session"] is True
    assert world.authorizations(demo.me) == []  # logged out at Telegram, not only forgotten here
    row = await services.accounts.get(account_id)
    assert row is not None
    assert (row.status, row.has_session) == ("revoked", False)
    assert after.structured_content is not None
    assert after.structured_content["error"] == "account_revoked"
    assert "reconnect your Telegram account" in after.structured_content["message"]
    assert again.structured_content is not None
    assert again.structured_content["disconnected"] is False


async def test_delete_leaves_no_row_or_blob_of_the_account_in_the_database_file(
    client: Client, services: Services, settings: Settings, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    with trio.fail_after(20):
        await client.call_tool("list_dialogs", {})  # the entity cache fills and is written back
        await services.pool.stop(account_id)  # save it now, so the blob surely sits in the file
        await services.pool.start(account_id)
    blob = await services.database.read(
        lambda conn: bytes(conn.execute("SELECT session_blob FROM telegram_accounts").fetchone()[0])
    )
    assert len(blob) > 500
    assert blob[100:164] in _database_bytes(settings)
    with trio.fail_after(20):
        result = await client.call_tool("delete_telegram_account", {})
    assert result.structured_content is not None
    assert result.structured_content["deleted"] is True
    assert services.pool.statistics().accounts == 0
    stored = _database_bytes(settings)
    for offset in range(0, len(blob) - 32, 32):
        assert blob[offset : offset + 32] not in stored
    with sqlite3.connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM telegram_accounts").fetchone()[0] == 0
        assert (
            conn.execute("SELECT count(*) FROM telegram_accounts WHERE id = ?", (account_id,)).fetchone()[0]
            == 0
        )


async def test_delete_then_connect_again_starts_from_nothing(
    client: Client, services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    with trio.fail_after(20):
        await client.call_tool("delete_telegram_account", {})
        missing = await client.call_tool("list_dialogs", {})
        await provision_sandbox_account(services, telegram_user_id=demo.me)
        back = await client.call_tool("list_dialogs", {})
    assert missing.structured_content is not None
    assert missing.structured_content["error"] == "no_account"
    assert not back.is_error


async def test_disconnect_during_a_stalled_call_never_reloads_the_session(
    client: Client, services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    world.add_fault(Fault.stall(request="messages.GetDialogsRequest", user_id=demo.me))
    results = {}
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:

            async def stalled() -> None:
                results["call"] = await client.call_tool("list_dialogs", {})

            sent = world.mark()
            nursery.start_soon(stalled)
            await _until_received(world, sent, "messages.GetDialogsRequest")  # it hangs there now
            results["disconnect"] = await client.call_tool("disconnect_telegram_account", {})
        mark = world.mark()
        results["after"] = await client.call_tool("list_dialogs", {})
    assert results["disconnect"].structured_content is not None
    assert results["disconnect"].structured_content["disconnected"] is True
    for name in ("call", "after"):
        payload = results[name].structured_content
        assert payload is not None
        assert payload["error"] == "account_revoked", payload
    row = await services.accounts.get(account_id)
    assert row is not None
    assert (row.status, row.has_session) == ("revoked", False)
    assert world.calls_since(mark) == []  # nothing connected again with the old key
    assert world.authorizations(demo.me) == []
    assert services.pool.statistics().accounts == 0


async def test_a_caller_without_an_account_is_told_nothing_changed(client: Client) -> None:
    with trio.fail_after(10):
        disconnect = await client.call_tool("disconnect_telegram_account", {})
        delete = await client.call_tool("delete_telegram_account", {})
    assert disconnect.structured_content is not None
    assert disconnect.structured_content["disconnected"] is False
    assert delete.structured_content is not None
    assert delete.structured_content["deleted"] is False


async def test_the_account_tools_are_destructive_and_need_account_manage(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in ("disconnect_telegram_account", "delete_telegram_account"):
        tool = tools[name]
        assert hint(tool, "destructive_hint") is True
        assert hint(tool, "read_only_hint") is False
        assert tool.meta is not None
        assert tool.meta["mctltg/scope"] == "account:manage"
