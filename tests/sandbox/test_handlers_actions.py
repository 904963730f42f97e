"""Edit, delete, forward and react through real Telethon, with Telegram's own answers and errors."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from telethon import errors, events, functions, types

from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld


def _pair(world: SandboxWorld) -> tuple[int, int]:
    alice = world.add_user(first_name="Alice", username="alice")
    bob = world.add_user(first_name="Bob", username="bobby")
    world.add_contact(user_id=alice, contact=bob)
    world.add_contact(user_id=bob, contact=alice)
    return alice, bob


def test_an_edit_reaches_the_other_sides_client_and_only_the_author_may_edit(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    mine = world.send(sender=alice, peer=f"user:{bob}", text="Lunch at 12?")
    world.send(sender=bob, peer=f"user:{alice}", text="Sure")
    theirs = next(m.id for m in world.history(viewer=alice, peer=f"user:{bob}") if not m.out)

    async def scenario() -> None:
        async with (
            open_client(world, key=world.authorize_new_key(alice)) as alice_client,
            open_client(world, key=world.authorize_new_key(bob)) as bob_client,
        ):
            edits: asyncio.Queue[events.MessageEdited.Event] = asyncio.Queue()
            bob_client.add_event_handler(edits.put, events.MessageEdited())
            await alice_client.get_dialogs()
            await bob_client.get_dialogs()
            await alice_client(
                functions.messages.EditMessageRequest(peer=bob, id=mine, message="Lunch at 1?")
            )
            event = await asyncio.wait_for(edits.get(), 5)
            assert event.raw_text == "Lunch at 1?"
            with pytest.raises(errors.MessageNotModifiedError):
                await alice_client(
                    functions.messages.EditMessageRequest(peer=bob, id=mine, message="Lunch at 1?")
                )
            with pytest.raises(errors.MessageAuthorRequiredError):
                await alice_client(functions.messages.EditMessageRequest(peer=bob, id=theirs, message="x"))

    run(scenario)
    assert [m.text for m in world.history(viewer=bob, peer=f"user:{alice}") if m.edited] == ["Lunch at 1?"]


def test_in_a_channel_only_the_creator_deletes_others_posts_and_edits_reach_every_member(
    world: SandboxWorld,
) -> None:
    alice, bob = _pair(world)
    room = world.create_channel(title="Room", creator=alice, members=[bob], megagroup=True)
    by_alice = world.send(sender=alice, peer=f"channel:{room}", text="Rules")
    by_bob = world.send(sender=bob, peer=f"channel:{room}", text="Hello")

    async def scenario() -> None:
        async with (
            open_client(world, key=world.authorize_new_key(alice)) as alice_client,
            open_client(world, key=world.authorize_new_key(bob)) as bob_client,
        ):
            await bob_client.get_dialogs()
            with pytest.raises(errors.MessageDeleteForbiddenError):
                await bob_client.delete_messages(room * -1 - 10**12, [by_alice])
            await alice_client.get_dialogs()
            await alice_client.delete_messages(room * -1 - 10**12, [by_bob])
            await alice_client.edit_message(room * -1 - 10**12, by_alice, "House rules")

    run(scenario)
    kept = [
        (m.id, m.text, m.edited) for m in world.history(viewer=bob, peer=f"channel:{room}") if not m.service
    ]
    assert kept == [(by_alice, "House rules", True)]


def test_a_forward_carries_its_author_unless_dropped_and_reactions_follow_the_chats_list(
    world: SandboxWorld,
) -> None:
    alice, bob = _pair(world)
    room = world.create_group(title="Club", creator=bob, members=[alice])
    world.allow_reactions(peer=f"chat:{room}", emoji=("👍",))
    original = world.send(sender=bob, peer=f"chat:{room}", text="Big news")
    in_alices_box = world.history(viewer=alice, peer=f"chat:{room}")[0].id

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            await client.get_dialogs()
            group = types.InputPeerChat(room)
            for drop in (False, True):
                await client(
                    functions.messages.ForwardMessagesRequest(
                        from_peer=group,
                        id=[in_alices_box],
                        to_peer="me",
                        random_id=[7 + drop],
                        drop_author=drop,
                    )
                )
            saved = await client.get_messages("me", limit=2)
            assert [m.fwd_from is not None for m in saved] == [False, True]
            assert saved[1].fwd_from.from_id == types.PeerUser(bob)
            with pytest.raises(errors.ReactionInvalidError):
                await client(
                    functions.messages.SendReactionRequest(
                        peer=group, msg_id=in_alices_box, reaction=[types.ReactionEmoji("🔥")]
                    )
                )
            await client(
                functions.messages.SendReactionRequest(
                    peer=group, msg_id=in_alices_box, reaction=[types.ReactionEmoji("👍")]
                )
            )
            (seen,) = await client.get_messages(group, ids=[in_alices_box])
            assert [(r.reaction.emoticon, r.count) for r in seen.reactions.results] == [("👍", 1)]

    run(scenario)
    assert world.history(viewer=bob, peer=f"chat:{room}")[0].id == original
    assert world.history(viewer=bob, peer=f"chat:{room}")[0].reactions == ("👍",)
