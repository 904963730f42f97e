"""The account's own chat has one name, "Saved Messages", in every tool that names chats."""

from __future__ import annotations

from typing import Any

from mctltg.app import Services
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.telegram.on_loop.convert import SAVED_MESSAGES
from tests.harness.mcp_client import call, tools_for


def _chat_names(payload: dict[str, Any], peer: str) -> set[str]:
    """Every name a read result gives ``peer``: once at the top, on each message, or in ``names``."""
    names = {m["peer_title"] for m in payload["messages"] if m.get("peer") == peer and "peer_title" in m}
    if payload.get("peer") == peer and "peer_title" in payload:
        names.add(payload["peer_title"])
    if peer in payload.get("names", {}):
        names.add(payload["names"][peer])
    return names


async def test_the_accounts_own_chat_is_saved_messages_in_dialogs_history_and_search(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    own = f"user:{demo.me}"
    world.send(sender=demo.me, peer=own, text="reminder: the anticipating carriage drawings")
    async with tools_for(services, demo.me) as client:
        dialogs = await call(client, "list_dialogs", {"limit": 200})
        history = await call(client, "get_messages", {"peer": "me", "limit": 5})
        found = await call(client, "search_messages", {"query": "anticipating carriage"})
        in_chat = await call(client, "search_messages", {"query": "anticipating carriage", "peer": own})
    assert [d["title"] for d in dialogs["dialogs"] if d["peer"] == own] == [SAVED_MESSAGES]
    assert _chat_names(history, own) == {SAVED_MESSAGES}
    assert _chat_names(found, own) == {SAVED_MESSAGES}
    assert _chat_names(in_chat, own) == {SAVED_MESSAGES}
