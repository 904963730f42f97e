"""The message actions over real HTTP: the whole server in this process, Telethon on the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mctltg.app import provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.inprocess import serve_in_process
from tests.harness.settings import sandbox_settings


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert result.structured_content is not None
    assert not result.is_error, result.structured_content
    return result.structured_content


async def test_over_http_each_write_previews_without_consent_then_edits_reacts_forwards_and_deletes(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    peer, room = f"user:{demo.contacts[0]}", f"channel:{demo.supergroup}"
    with trio.fail_after(60):
        async with (
            serve_in_process(sandbox_settings(tmp_path, ALLOW_SEND="true"), world) as server,
            httpx2.AsyncClient() as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            await provision_sandbox_account(server.services, telegram_user_id=demo.me)
            target = next(m for m in world.history(viewer=demo.me, peer=room) if not m.service).id
            mark = world.mark()
            previews = [
                await _call(client, "edit_message", {"peer": peer, "message_id": 1, "text": "x"}),
                await _call(client, "delete_messages", {"peer": peer, "message_ids": [1]}),
                await _call(
                    client, "forward_messages", {"from_peer": room, "message_ids": [target], "to_peer": peer}
                ),
                await _call(client, "set_reaction", {"peer": room, "message_id": target, "emoji": "👍"}),
                await _call(client, "pin_message", {"peer": room, "message_id": target}),
            ]
            assert world.calls_since(mark) == []
            assert {p["mode"] for p in previews} == {"draft"}
            assert {p["dry_reason_code"] for p in previews} == {"send_enabled"}

            await _call(client, "set_send_consent", {"enabled": True})
            sent = await _call(client, "send_message", {"peer": peer, "text": "Typo hree"})
            own = sent["message_id"]
            edited = await _call(
                client, "edit_message", {"peer": peer, "message_id": own, "text": "Typo here"}
            )
            reacted = await _call(client, "set_reaction", {"peer": room, "message_id": target, "emoji": "🎉"})
            forwarded = await _call(
                client, "forward_messages", {"from_peer": room, "message_ids": [target], "to_peer": peer}
            )
            deleted = await _call(
                client,
                "delete_messages",
                {"peer": peer, "message_ids": forwarded["message_ids"], "for_everyone": True},
            )
    assert [r["status"] for r in (edited, reacted, forwarded, deleted)] == ["done"] * 4
    history = world.history(viewer=demo.me, peer=peer)
    assert [(m.text, m.edited) for m in history if m.id == own] == [("Typo here", True)]
    assert not any(m.forwarded for m in history)
    assert next(m for m in world.history(viewer=demo.me, peer=room) if m.id == target).reactions == ("🎉",)
