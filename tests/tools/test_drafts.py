"""save_draft and get_drafts: the chat's own Telegram draft, written with its own scope, never sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.oauth.scopes import DIALOGS_READ, DRAFTS_WRITE, MESSAGES_READ
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.mcp_client import connect, deps_for, signed_in
from tests.harness.world import SEND_REQUEST

SAVE_REQUEST = "messages.SaveDraftRequest"
SUBJECT = "tg:drafts-test"
READ_AND_DRAFT = frozenset({DIALOGS_READ, MESSAGES_READ, DRAFTS_WRITE})


@pytest.fixture
async def client(services: Services, demo: DemoWorld) -> AsyncIterator[Client]:
    """Every send condition closed (ALLOW_SEND off, no send consent): drafts need none of them."""
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=False)
    async with connect(deps_for(services, allow_send=False)) as connected:
        yield connected


def seeded(demo: DemoWorld) -> str:
    """The chat of the demo world's own draft: Ada's unfinished note to Mary."""
    return f"user:{demo.contacts[1]}"


async def call(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    out = result.structured_content
    assert isinstance(out, dict)
    return out


async def test_a_saved_draft_lands_in_the_chats_own_draft_and_nothing_is_sent(
    client: Client, world: SandboxWorld, demo: DemoWorld
) -> None:
    peer = f"user:{demo.contacts[0]}"
    before = len(world.history(viewer=demo.me, peer=peer))
    mark = world.mark()
    out = await call(client, "save_draft", peer=peer, text="  See you at nine?  ")
    assert out == {"peer": peer, "status": "saved", "sandbox": True}
    assert world.draft(viewer=demo.me, peer=peer) == "See you at nine?"
    assert SAVE_REQUEST in world.calls_since(mark)
    assert SEND_REQUEST not in world.calls_since(mark)
    assert len(world.history(viewer=demo.me, peer=peer)) == before


async def test_get_drafts_lists_each_chats_draft_wrapped_as_untrusted_text(
    client: Client, world: SandboxWorld, demo: DemoWorld
) -> None:
    first, group = f"user:{demo.contacts[0]}", f"chat:{demo.group}"
    await call(client, "save_draft", peer=first, text="Draft for a friend")
    reply_target = next(m for m in world.history(viewer=demo.me, peer=group) if not m.service)
    await call(client, "save_draft", peer=group, text="Draft for the group", reply_to=reply_target.id)
    mark = world.mark()
    out = await call(client, "get_drafts")
    assert world.calls_since(mark) == ["messages.GetAllDraftsRequest"]
    by_peer = {d["peer"]: d for d in out["drafts"]}
    assert set(by_peer) == {first, group, seeded(demo)}
    nonce = out["notice"].split("<msg-")[1].split(">")[0]
    assert by_peer[first]["text"] == f"<msg-{nonce}>Draft for a friend</msg-{nonce}>"
    assert by_peer[group]["reply_to"] == reply_target.id
    assert by_peer[group]["title"]
    assert by_peer[first]["date"].endswith("Z")


async def test_an_empty_text_clears_the_draft(client: Client, world: SandboxWorld, demo: DemoWorld) -> None:
    peer = f"user:{demo.contacts[0]}"
    await call(client, "save_draft", peer=peer, text="Not so sure anymore")
    out = await call(client, "save_draft", peer=peer, text="   ")
    assert out["status"] == "cleared"
    assert world.draft(viewer=demo.me, peer=peer) is None
    assert [d["peer"] for d in (await call(client, "get_drafts"))["drafts"]] == [seeded(demo)]


async def test_saving_the_same_text_twice_leaves_one_draft(
    client: Client, world: SandboxWorld, demo: DemoWorld
) -> None:
    peer = f"user:{demo.contacts[0]}"
    await call(client, "save_draft", peer=peer, text="Same words")
    again = await call(client, "save_draft", peer=peer, text="Same words")
    assert again["status"] == "saved"
    drafts = (await call(client, "get_drafts"))["drafts"]
    assert [d["peer"] for d in drafts] == [peer, seeded(demo)]


async def test_a_draft_in_a_chat_you_cannot_write_in_is_one_sentence(
    client: Client, world: SandboxWorld, demo: DemoWorld
) -> None:
    result = await client.call_tool("save_draft", {"peer": f"channel:{demo.channel}", "text": "Hello"})
    assert result.is_error
    assert result.structured_content is not None
    message = result.structured_content["message"]
    assert "admin" in message
    assert "Traceback" not in message


async def test_a_draft_longer_than_telegram_allows_is_refused_before_any_call(
    client: Client, world: SandboxWorld, demo: DemoWorld
) -> None:
    mark = world.mark()
    result = await client.call_tool("save_draft", {"peer": f"user:{demo.contacts[0]}", "text": "x" * 4097})
    assert result.is_error
    assert result.structured_content is not None
    assert "4096" in result.structured_content["message"]
    assert world.calls_since(mark) == []


async def test_a_token_without_the_drafts_scope_cannot_save_a_draft(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, subject=SUBJECT)
    deps = deps_for(services, operator_mode=False)
    with signed_in(SUBJECT, {DIALOGS_READ, MESSAGES_READ}):
        async with connect(deps) as client:
            mark = world.mark()
            result = await client.call_tool("save_draft", {"peer": f"user:{demo.contacts[0]}", "text": "Hi"})
            assert result.is_error
            assert result.structured_content is not None
            assert DRAFTS_WRITE in result.structured_content["message"]
            assert world.calls_since(mark) == []


async def test_read_and_draft_saves_drafts_while_send_message_only_previews_and_points_to_save_draft(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, subject=SUBJECT, send_enabled=True)
    peer = f"user:{demo.contacts[0]}"
    deps = deps_for(services, operator_mode=False, allow_send=True)
    with signed_in(SUBJECT, READ_AND_DRAFT):
        async with connect(deps) as client:
            mark = world.mark()
            preview = await call(client, "send_message", peer=peer, text="Lunch tomorrow?")
            assert preview["mode"] == "draft"
            assert preview["dry_reason_code"] == "scope"
            assert "save_draft" in preview["notice"]
            assert world.calls_since(mark) == []
            saved = await call(client, "save_draft", peer=peer, text=preview["text"])
            assert saved["status"] == "saved"
    assert world.draft(viewer=demo.me, peer=peer) == "Lunch tomorrow?"


async def test_a_saved_draft_leaves_an_audit_row_without_its_text(
    client: Client, services: Services, demo: DemoWorld
) -> None:
    peer = f"user:{demo.contacts[0]}"
    await call(client, "save_draft", peer=peer, text="A private thought")
    log = await call(client, "get_my_audit_log", limit=5)
    assert log["entries"][0] == {
        "time": log["entries"][0]["time"],
        "tool": "save_draft",
        "peer": peer,
        "outcome": "ok",
    }
    assert "A private thought" not in str(log)


async def test_a_draft_saved_in_a_forum_topic_stays_in_that_topic(
    client: Client, world: SandboxWorld, demo: DemoWorld
) -> None:
    forum, gears = f"channel:{demo.forum}", demo.topics[0]
    out = await call(client, "save_draft", peer=forum, text="Gear ratios next week", topic_id=gears)
    assert out["status"] == "saved"
    assert world.draft(viewer=demo.me, peer=forum, topic_id=gears) == "Gear ratios next week"
    assert world.draft(viewer=demo.me, peer=forum) is None
