"""Drafts and scheduled messages over the real MCP HTTP path (Hypercorn, the SDK, Telethon, the sandbox)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import trio
from mcp import Client

from mctltg.app import provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.inprocess import serve_in_process
from tests.harness.settings import sandbox_settings


async def test_a_closed_gate_offers_save_draft_and_the_draft_lands_in_the_chat_over_http(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = sandbox_settings(tmp_path, ALLOW_SEND="false")
    peer = f"user:{demo.contacts[0]}"
    later = dt.datetime.fromtimestamp(time.time() + 7200, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with serve_in_process(settings, world) as server:
        await provision_sandbox_account(server.services, telegram_user_id=demo.me)
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                mark = world.mark()
                preview = await client.call_tool(
                    "send_message", {"peer": peer, "text": "Dinner at eight?", "schedule_at": later}
                )
                out = preview.structured_content
                assert out is not None
                assert (out["mode"], out["dry_reason_code"]) == ("draft", "server_allow_send")
                assert "save_draft" in out["notice"]
                assert world.calls_since(mark) == []

                saved = await client.call_tool("save_draft", {"peer": peer, "text": out["text"]})
                assert saved.structured_content == {"peer": peer, "status": "saved", "sandbox": True}
                listed = await client.call_tool("get_drafts", {})
                assert listed.structured_content is not None
                draft = listed.structured_content["drafts"][0]  # the newest first
                assert draft["peer"] == peer
                assert "Dinner at eight?" in draft["text"]
                scheduled = await client.call_tool("get_scheduled_messages", {"peer": peer})
                assert scheduled.structured_content is not None
                assert scheduled.structured_content["messages"] == []
    assert world.draft(viewer=demo.me, peer=peer) == "Dinner at eight?"


async def test_a_message_is_scheduled_listed_and_cancelled_once_over_http(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = sandbox_settings(tmp_path, ALLOW_SEND="true")
    peer = f"user:{demo.contacts[0]}"
    later = dt.datetime.fromtimestamp(time.time() + 7200, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with serve_in_process(settings, world) as server:
        await provision_sandbox_account(server.services, telegram_user_id=demo.me, send_enabled=True)
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                sent = await client.call_tool(
                    "send_message", {"peer": peer, "text": "Reminder: the mill", "schedule_at": later}
                )
                out = sent.structured_content
                assert out is not None
                assert (out["status"], out["scheduled"], out["date"]) == ("sent", True, later)
                listed = await client.call_tool("get_scheduled_messages", {"peer": peer})
                assert listed.structured_content is not None
                assert [m["id"] for m in listed.structured_content["messages"]] == [out["message_id"]]
                arguments = {"peer": peer, "ids": [out["message_id"]], "idempotency_key": "cancel-mill"}
                first = await client.call_tool("delete_scheduled_messages", arguments)
                mark = world.mark()
                again = await client.call_tool("delete_scheduled_messages", arguments)
                assert first.structured_content is not None
                assert again.structured_content is not None
                assert first.structured_content["deleted"] == [out["message_id"]]
                assert again.structured_content["replayed"] is True
                assert "messages.DeleteScheduledMessagesRequest" not in world.calls_since(mark)
    assert world.scheduled(viewer=demo.me, peer=peer) == []
