"""pin_message, get_my_send_status, set_send_consent, the tool list, and the audit trail."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.mcp_client import ALL_SCOPES, SEND, connect, deps_for, hint, signed_in
from tests.harness.world import SEND_REQUEST


async def test_consent_opens_the_gate_and_the_status_explains_each_step(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    peer = f"user:{demo.contacts[0]}"
    async with connect(deps_for(services, allow_send=True)) as client:
        status = (await client.call_tool("get_my_send_status", {})).structured_content
        assert status is not None
        assert status["can_send"] is False
        assert status["send_enabled"] is False
        assert status["connected"] is True
        assert status["server_allow_send"] is True
        assert "set_send_consent" in status["hint"]
        draft = (await client.call_tool("send_message", {"peer": peer, "text": "Not yet"})).structured_content
        assert draft is not None
        assert draft["dry_reason_code"] == "send_enabled"

        consent = await client.call_tool("set_send_consent", {"enabled": True})
        assert consent.structured_content == {"send_enabled": True, "ok": True, "sandbox": True}
        status = (await client.call_tool("get_my_send_status", {})).structured_content
        assert status is not None
        assert status["can_send"] is True
        assert "reason" not in status
        sent = (await client.call_tool("send_message", {"peer": peer, "text": "Now"})).structured_content
        assert sent is not None
        assert sent["sent"] is True

        await client.call_tool("set_send_consent", {"enabled": False})
        mark = world.mark()
        draft = (
            await client.call_tool("send_message", {"peer": peer, "text": "Off again"})
        ).structured_content
        assert draft is not None
        assert draft["mode"] == "draft"
        assert world.calls_since(mark) == []


async def test_pin_with_a_closed_gate_is_a_preview_and_with_an_open_gate_pins(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    group = f"chat:{demo.group}"
    target = next(m for m in world.history(viewer=demo.me, peer=group) if not m.service)
    async with connect(deps_for(services, allow_send=False)) as client:
        mark = world.mark()
        blocked = await client.call_tool("pin_message", {"peer": group, "message_id": target.id})
        assert not blocked.is_error
        preview = blocked.structured_content
        assert preview is not None
        assert preview["mode"] == "draft"
        assert preview["would"] == f"pin message {target.id} in {group}"
        assert preview["dry_reason_code"] == "server_allow_send"
        assert "ALLOW_SEND" in preview["dry_reason"]
        assert world.calls_since(mark) == []
        assert not next(m for m in world.history(viewer=demo.me, peer=group) if m.id == target.id).pinned
    async with connect(deps_for(services, allow_send=True)) as client:
        pinned = await client.call_tool("pin_message", {"peer": group, "message_id": target.id})
        assert pinned.structured_content == {
            "mode": "send",
            "status": "pinned",
            "peer": group,
            "message_ids": [target.id],
            "sandbox": True,
        }
        assert next(m for m in world.history(viewer=demo.me, peer=group) if m.id == target.id).pinned
        unpinned = await client.call_tool(
            "pin_message", {"peer": group, "message_id": target.id, "unpin": True}
        )
        assert unpinned.structured_content is not None
        assert unpinned.structured_content["status"] == "unpinned"


async def test_a_token_without_the_send_scope_does_not_see_send_message(services: Services) -> None:
    await services.identities.ensure("tg:reader")
    with signed_in("tg:reader", ALL_SCOPES - {SEND}):
        async with connect(deps_for(services, operator_mode=False, allow_send=True)) as reader:
            names = {tool.name for tool in (await reader.list_tools()).tools}
            hidden = await reader.call_tool("send_message", {"peer": "me", "text": "still only a draft"})
    assert "send_message" not in names
    assert {"get_my_send_status", "list_dialogs", "pin_message"} <= names
    assert hidden.structured_content is not None
    assert hidden.structured_content["dry_reason_code"] == "scope"

    with signed_in("tg:reader", ALL_SCOPES - {SEND}):
        async with connect(deps_for(services, operator_mode=False, show_send_preview=True)) as preview:
            names = {tool.name for tool in (await preview.list_tools()).tools}
    assert "send_message" in names
    with signed_in("tg:reader", ALL_SCOPES):
        async with connect(deps_for(services, operator_mode=False)) as sender:
            names = {tool.name for tool in (await sender.list_tools()).tools}
    assert "send_message" in names


async def test_the_read_only_filter_offers_only_read_only_tools(
    services: Services, world: SandboxWorld
) -> None:
    async with connect(deps_for(services, tool_filter="read-only", allow_send=True)) as client:
        tools = (await client.list_tools()).tools
        mark = world.mark()
        with pytest.raises(MCPError) as refused:  # unknown here: a JSON-RPC error (unknown_names.py)
            await client.call_tool("send_message", {"peer": "me", "text": "nope"})
    assert tools
    assert all(tool.annotations is not None and tool.annotations.read_only_hint for tool in tools)
    names = {tool.name for tool in tools}
    assert {"send_message", "pin_message", "set_send_consent"}.isdisjoint(names)
    assert "get_my_send_status" in names
    assert refused.value.code == INVALID_PARAMS
    assert SEND_REQUEST not in world.calls_since(mark)


async def test_write_tools_are_marked_destructive_and_every_tool_has_an_output_schema(
    services: Services,
) -> None:
    async with connect(deps_for(services)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in ("send_message", "pin_message"):
        assert hint(tools[name], "destructive_hint") is True
        assert hint(tools[name], "open_world_hint") is True
        assert hint(tools[name], "read_only_hint") is False
    for tool in tools.values():
        assert tool.output_schema is not None, tool.name


async def test_every_call_leaves_one_audit_row_with_the_peer_type_and_id_only(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    peer = f"user:{demo.contacts[0]}"
    async with connect(deps_for(services, allow_send=False)) as client:
        await client.call_tool("list_dialogs", {"limit": 3})
        await client.call_tool("send_message", {"peer": peer, "text": "a draft"})
        await client.call_tool("send_message", {"peer": "@nobody_here_x", "text": "another draft"})
        await client.call_tool("pin_message", {"peer": peer, "message_id": 1})
        log = (await client.call_tool("get_my_audit_log", {"limit": 10})).structured_content
    assert log is not None
    rows = [(e["tool"], e.get("peer"), e["outcome"]) for e in reversed(log["entries"])]
    assert rows == [
        ("list_dialogs", None, "ok"),
        ("send_message", peer, "draft"),
        ("send_message", "username", "draft"),
        ("pin_message", peer, "draft"),
    ]
    assert all(e["time"].endswith("Z") for e in log["entries"])


async def test_the_audit_log_pages_backwards_and_is_not_itself_audited(
    services: Services, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    async with connect(deps_for(services)) as client:
        for _ in range(3):
            await client.call_tool("get_my_send_status", {})
        first = (await client.call_tool("get_my_audit_log", {"limit": 2})).structured_content
        assert first is not None
        assert first["count"] == 2
        rest = (
            await client.call_tool("get_my_audit_log", {"limit": 2, "before": first["next_before"]})
        ).structured_content
        again = (await client.call_tool("get_my_audit_log", {"limit": 50})).structured_content
    assert rest is not None
    assert rest["count"] == 1
    assert "next_before" not in rest
    assert again is not None
    assert [e["tool"] for e in again["entries"]] == ["get_my_send_status"] * 3


async def test_no_audit_row_log_line_or_database_byte_holds_message_text(
    services: Services, world: SandboxWorld, demo: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    peer = f"user:{demo.contacts[0]}"
    sent_text = "Secret rendezvous under the old oak"
    caplog.set_level(logging.DEBUG)
    async with connect(deps_for(services, allow_send=True)) as client:
        await client.call_tool("get_messages", {"peer": peer, "limit": 20})
        await client.call_tool("send_message", {"peer": peer, "text": sent_text, "idempotency_key": "oak"})
        await client.call_tool("send_message", {"peer": peer, "text": sent_text})
        await client.call_tool("send_message", {"peer": "not a peer", "text": sent_text})
    await services.database.checkpoint()
    texts = {m.text for m in world.history(viewer=demo.me, peer=peer) if len(m.text) >= 12}
    assert sent_text in texts
    path = Path(services.database.path)
    with sqlite3.connect(path) as conn:
        audit_rows = [" ".join(map(str, row)) for row in conn.execute("SELECT * FROM audit_log")]
    assert len(audit_rows) == 5  # four calls, and the delivery row of the one real send
    wal = path.with_name(path.name + "-wal")
    raw = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    lines = [record.getMessage() + " " + str(record.__dict__) for record in caplog.records]
    for text in texts:
        assert not any(text in row for row in audit_rows), text
        assert not any(text in line for line in lines), text
        assert text.encode() not in raw, text
