"""edit_message, delete_messages, forward_messages, set_reaction: through MCP, on the sandbox Telegram."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, Fault, SandboxMessage, SandboxWorld
from tests.harness.mcp_client import ALL_SCOPES, SEND, connect, deps_for, signed_in

EDIT = "messages.EditMessageRequest"
DELETE = "messages.DeleteMessagesRequest"
FORWARD = "messages.ForwardMessagesRequest"
REACT = "messages.SendReactionRequest"


async def _ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert result.structured_content is not None
    assert not result.is_error, result.structured_content
    return result.structured_content


async def _error(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    assert result.structured_content is not None
    message = result.structured_content["message"]
    assert isinstance(message, str)
    return message


def _message(world: SandboxWorld, viewer: int, peer: str, message_id: int) -> SandboxMessage | None:
    return next((m for m in world.history(viewer=viewer, peer=peer) if m.id == message_id), None)


def _first_from(world: SandboxWorld, viewer: int, peer: str, sender: int) -> SandboxMessage:
    return next(m for m in world.history(viewer=viewer, peer=peer) if m.sender == sender and not m.service)


async def test_edit_changes_your_message_for_both_sides_and_a_retry_with_its_key_edits_once(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    friend = demo.contacts[0]
    peer = f"user:{friend}"
    async with connect(deps_for(services, allow_send=True)) as client:
        sent = await _ok(client, "send_message", {"peer": peer, "text": "See you at 5"})
        arguments = {
            "peer": peer,
            "message_id": sent["message_id"],
            "text": "See you at 6",
            "idempotency_key": "e1",
        }
        edited = await _ok(client, "edit_message", arguments)
        mark = world.mark()
        again = await _ok(client, "edit_message", arguments)
        assert world.calls_since(mark) == []
        reused = await _error(client, "edit_message", {**arguments, "text": "See you at 7"})
    assert edited == {
        "mode": "send",
        "status": "done",
        "peer": peer,
        "message_ids": [sent["message_id"]],
        "sandbox": True,
    }
    assert again["replayed"] is True
    assert again["status"] == "done"
    assert "key was already used" in reused
    mine = _message(world, demo.me, peer, sent["message_id"])
    assert mine is not None
    assert (mine.text, mine.edited) == ("See you at 6", True)
    theirs = next(m for m in world.history(viewer=friend, peer=f"user:{demo.me}") if m.text == "See you at 6")
    assert theirs.edited


async def test_editing_someone_elses_message_or_to_the_same_text_is_one_clear_sentence(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    group = f"chat:{demo.group}"
    theirs = next(m for m in world.history(viewer=demo.me, peer=group) if not m.out and not m.service)
    async with connect(deps_for(services, allow_send=True)) as client:
        not_mine = await _error(
            client, "edit_message", {"peer": group, "message_id": theirs.id, "text": "mine now"}
        )
        own = await _ok(client, "send_message", {"peer": group, "text": "Same words"})
        same = await _error(
            client, "edit_message", {"peer": group, "message_id": own["message_id"], "text": "Same words"}
        )
        missing = await _error(client, "edit_message", {"peer": group, "message_id": 999_999, "text": "x"})
    assert not_mine == "You can only edit messages you sent yourself; this one is someone else's."
    assert same == "The new text is the same as the message's current text; nothing to edit."
    assert "no message with that id" in missing
    unchanged = _message(world, demo.me, group, theirs.id)
    assert unchanged is not None
    assert unchanged.text == theirs.text


@pytest.mark.parametrize(
    ("tool", "arguments", "would"),
    [
        ("edit_message", {"message_id": 1, "text": "new"}, "edit message 1 in {peer} to the given text"),
        ("delete_messages", {"message_ids": [1, 2]}, "delete messages 1, 2 in {peer} for you"),
        ("set_reaction", {"message_id": 1, "emoji": "👍"}, "react 👍 to message 1 in {peer}"),
        ("set_reaction", {"message_id": 1, "emoji": None}, "remove your reaction from message 1 in {peer}"),
    ],
)
async def test_a_closed_gate_previews_exactly_what_would_happen_and_calls_no_telegram(
    services: Services, world: SandboxWorld, demo: DemoWorld, tool: str, arguments: dict[str, Any], would: str
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    peer = f"user:{demo.contacts[0]}"
    async with connect(deps_for(services, allow_send=False)) as client:
        mark = world.mark()
        preview = await _ok(client, tool, {"peer": peer, **arguments})
        assert world.calls_since(mark) == []
    assert preview["mode"] == "draft"
    assert preview["would"] == would.format(peer=peer)
    assert preview["dry_reason_code"] == "server_allow_send"
    assert "ALLOW_SEND=true" in preview["dry_reason"]


async def test_without_consent_or_scope_a_forward_is_a_preview_naming_what_blocks_it(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    arguments = {"from_peer": f"chat:{demo.group}", "message_ids": [3], "to_peer": "me", "drop_author": True}
    async with connect(deps_for(services, allow_send=True)) as client:
        mark = world.mark()
        no_consent = await _ok(client, "forward_messages", arguments)
        assert world.calls_since(mark) == []
    assert no_consent["dry_reason_code"] == "send_enabled"
    assert "set_send_consent" in no_consent["dry_reason"]
    assert no_consent["would"] == f"forward messages 3 of chat:{demo.group} to me without their author"
    await provision_sandbox_account(
        services, telegram_user_id=demo.second, subject="tg:reader", send_enabled=True
    )
    with signed_in("tg:reader", ALL_SCOPES - {SEND}):
        async with connect(deps_for(services, operator_mode=False, allow_send=True)) as reader:
            mark = world.mark()
            no_scope = await _ok(reader, "forward_messages", arguments)
            assert world.calls_since(mark) == []
    assert no_scope["dry_reason_code"] == "scope"
    assert SEND in no_scope["dry_reason"]


async def test_delete_for_everyone_removes_both_copies_and_leaves_other_chats_alone(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    friend, other = demo.contacts[0], demo.contacts[1]
    peer = f"user:{friend}"
    elsewhere = world.send(sender=demo.me, peer=f"user:{other}", text="Not this one")
    async with connect(deps_for(services, allow_send=True)) as client:
        sent = await _ok(client, "send_message", {"peer": peer, "text": "Oops, wrong chat"})
        ids = [sent["message_id"], elsewhere]
        deleted = await _ok(
            client,
            "delete_messages",
            {"peer": peer, "message_ids": ids, "for_everyone": True, "idempotency_key": "d1"},
        )
        mark = world.mark()
        again = await _ok(
            client,
            "delete_messages",
            {"peer": peer, "message_ids": ids, "for_everyone": True, "idempotency_key": "d1"},
        )
        assert DELETE not in world.calls_since(mark)
        too_many = await _error(client, "delete_messages", {"peer": peer, "message_ids": list(range(1, 102))})
    assert deleted["status"] == "done"
    assert deleted["message_ids"] == [sent["message_id"]]
    assert again["replayed"] is True
    assert "at most 100" in too_many
    assert _message(world, demo.me, peer, sent["message_id"]) is None
    assert not any(m.text == "Oops, wrong chat" for m in world.history(viewer=friend, peer=f"user:{demo.me}"))
    assert _message(world, demo.me, f"user:{other}", elsewhere) is not None


async def test_deleting_others_messages_in_a_group_you_do_not_own_is_refused_in_one_sentence(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    group = f"chat:{demo.group}"
    theirs = next(m for m in world.history(viewer=demo.me, peer=group) if not m.out and not m.service)
    async with connect(deps_for(services, allow_send=True)) as client:
        refused = await _error(
            client, "delete_messages", {"peer": group, "message_ids": [theirs.id], "for_everyone": True}
        )
    assert (
        refused
        == "You cannot delete someone else's messages here; only the chat's admins can (for everyone)."
    )
    assert _message(world, demo.me, group, theirs.id) is not None


async def test_forward_copies_the_messages_with_their_author_once_per_key(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    source = f"channel:{demo.supergroup}"
    original = next(m for m in world.history(viewer=demo.me, peer=source) if not m.out and not m.service)
    target = f"user:{demo.contacts[0]}"
    arguments = {
        "from_peer": source,
        "message_ids": [original.id],
        "to_peer": target,
        "idempotency_key": "f1",
    }
    async with connect(deps_for(services, allow_send=True)) as client:
        forwarded = await _ok(client, "forward_messages", arguments)
        mark = world.mark()
        again = await _ok(client, "forward_messages", arguments)
        assert FORWARD not in world.calls_since(mark)
        missing = await _error(
            client, "forward_messages", {**arguments, "message_ids": [999_999], "idempotency_key": "f2"}
        )
    assert forwarded["status"] == "done"
    assert forwarded["peer"] == target
    (new_id,) = forwarded["message_ids"]
    assert again["replayed"] is True
    assert "no message with that id" in missing
    copies = [m for m in world.history(viewer=demo.me, peer=target) if m.text == original.text]
    assert [(m.id, m.forwarded) for m in copies] == [(new_id, True)]


async def test_a_reaction_is_added_replaced_and_removed_and_a_disallowed_one_is_a_clear_error(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    room = f"channel:{demo.supergroup}"  # the seed allows only 👍 and 🎉 there
    target = next(m for m in world.history(viewer=demo.me, peer=room) if not m.service)

    def reactions() -> tuple[str, ...]:
        found = _message(world, demo.me, room, target.id)
        assert found is not None
        return found.reactions

    async with connect(deps_for(services, allow_send=True)) as client:
        await _ok(client, "set_reaction", {"peer": room, "message_id": target.id, "emoji": "👍"})
        assert reactions() == ("👍",)
        await _ok(client, "set_reaction", {"peer": room, "message_id": target.id, "emoji": "🎉"})
        assert reactions() == ("🎉",)
        refused = await _error(client, "set_reaction", {"peer": room, "message_id": target.id, "emoji": "😢"})
        assert reactions() == ("🎉",)
        removed = await _ok(client, "set_reaction", {"peer": room, "message_id": target.id, "emoji": None})
        assert reactions() == ()
    assert refused == "This chat does not allow that reaction; try another emoji such as 👍."
    assert removed["status"] == "done"


async def test_a_forward_whose_answer_is_lost_is_unverified_never_repeated_and_audited_before_it_left(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    source = f"channel:{demo.supergroup}"
    original = next(m for m in world.history(viewer=demo.me, peer=source) if not m.service)
    target = f"user:{demo.contacts[0]}"
    arguments = {
        "from_peer": source,
        "message_ids": [original.id],
        "to_peer": target,
        "idempotency_key": "lost",
    }
    world.add_fault(Fault.lose_answer(request=FORWARD, user_id=demo.me))
    async with connect(deps_for(services, allow_send=True)) as client:
        with trio.fail_after(15):
            first = await _ok(client, "forward_messages", arguments)
        mark = world.mark()
        again = await _ok(client, "forward_messages", arguments)
        assert FORWARD not in world.calls_since(mark)
        log = await _ok(client, "get_my_audit_log", {"limit": 10})
    assert (first["status"], again["status"], again["replayed"]) == ("unverified", "unverified", True)
    assert "NOT retried" in first["notice"]
    assert sum(1 for m in world.history(viewer=demo.me, peer=target) if m.forwarded) == 1
    delivery = [e for e in log["entries"] if e["tool"] == "forward_messages:delivery"]
    assert [(e["peer"], e["outcome"]) for e in delivery] == [(target, "unverified")]


async def test_forwarding_into_a_channel_you_cannot_post_in_is_one_clear_sentence(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
    source = f"user:{demo.contacts[0]}"
    original = world.history(viewer=demo.me, peer=source)[0]
    channel = f"channel:{demo.channel}"  # a broadcast channel Ada reads but does not run
    before = len(world.history(viewer=demo.me, peer=channel))
    arguments = {
        "from_peer": source,
        "message_ids": [original.id],
        "to_peer": channel,
        "idempotency_key": "k",
    }
    async with connect(deps_for(services, allow_send=True)) as client:
        refused = await _error(client, "forward_messages", arguments)
        retried = await _error(client, "forward_messages", arguments)
    assert refused == retried == "Only an admin of this chat can do that (Telegram says CHAT_ADMIN_REQUIRED)."
    assert len(world.history(viewer=demo.me, peer=channel)) == before
