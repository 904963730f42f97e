"""Writing through real Telethon: sending, replies, pins, read marks, and pushed updates."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from telethon import events, functions, types
from telethon._updates.messagebox import ENTRY_ACCOUNT

from mctltg.sandbox.testing import drain_updates, open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld


def _pair(world: SandboxWorld) -> tuple[int, int]:
    alice = world.add_user(first_name="Alice", username="alice")
    bob = world.add_user(first_name="Bob", username="bobby")
    world.send(sender=bob, peer=f"user:{alice}", text="Hi Alice")
    world.send(sender=alice, peer=f"user:{bob}", text="Hi Bob")
    return alice, bob


def _inbox(client: object) -> asyncio.Queue[events.NewMessage.Event]:
    queue: asyncio.Queue[events.NewMessage.Event] = asyncio.Queue()
    client.add_event_handler(queue.put, events.NewMessage(incoming=True))  # type: ignore[attr-defined]
    return queue


def test_a_message_to_a_user_lands_in_both_boxes_and_reaches_the_recipients_client(
    world: SandboxWorld,
) -> None:
    alice, bob = _pair(world)
    world.send(sender=bob, peer=f"user:{world.add_user(first_name='Carol')}", text="unrelated")

    async def scenario() -> None:
        async with (
            open_client(world, key=world.authorize_new_key(alice)) as alice_client,
            open_client(world, key=world.authorize_new_key(bob)) as bob_client,
        ):
            inbox = _inbox(bob_client)
            sent = await alice_client.send_message(bob, "Lunch tomorrow?")
            event = await asyncio.wait_for(inbox.get(), 5)
            assert event.raw_text == "Lunch tomorrow?"
            assert event.sender_id == alice
            assert sent.id == world.history(viewer=alice, peer=f"user:{bob}")[0].id == 3
            assert event.id == world.history(viewer=bob, peer=f"user:{alice}")[0].id == 4

    run(scenario)
    assert world.history(viewer=alice, peer=f"user:{bob}")[0].out
    assert not world.history(viewer=bob, peer=f"user:{alice}")[0].out


def test_a_reply_points_at_the_recipients_own_copy(world: SandboxWorld) -> None:
    alice, bob = _pair(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            hi = world.history(viewer=alice, peer=f"user:{bob}")[-1]
            assert hi.text == "Hi Alice"
            sent = await client.send_message(bob, "Hello again", reply_to=hi.id)
            # Telethon builds this Message from the request (UpdateShortSentMessage carries no reply)
            assert sent.reply_to.reply_to_msg_id == hi.id
            assert world.history(viewer=alice, peer=f"user:{bob}")[0].reply_to == hi.id

    run(scenario)
    bobs_copy = world.history(viewer=bob, peer=f"user:{alice}")[0]
    assert bobs_copy.reply_to == world.history(viewer=bob, peer=f"user:{alice}")[-1].id


def test_messages_to_a_group_and_a_channel_come_back_as_messages_and_reach_members(
    world: SandboxWorld,
) -> None:
    alice, bob = _pair(world)
    group = world.create_group(title="Club", creator=alice, members=[bob])
    channel = world.create_channel(title="News", creator=alice, members=[bob])

    async def scenario() -> None:
        async with (
            open_client(world, key=world.authorize_new_key(alice)) as alice_client,
            open_client(world, key=world.authorize_new_key(bob)) as bob_client,
        ):
            inbox = _inbox(bob_client)
            await alice_client.get_dialogs()
            in_group = await alice_client.send_message(types.PeerChat(group), "@bobby see you at 6")
            assert in_group.id == world.history(viewer=alice, peer=f"chat:{group}")[0].id
            assert (await asyncio.wait_for(inbox.get(), 5)).raw_text == "@bobby see you at 6"
            post = await alice_client.send_message(types.PeerChannel(channel), "Issue #1 is out")
            assert post.id == world.history(viewer=bob, peer=f"channel:{channel}")[0].id
            event = await asyncio.wait_for(inbox.get(), 5)
            assert (event.raw_text, event.chat_id) == ("Issue #1 is out", -1_000_000_000_000 - channel)

    run(scenario)
    assert world.history(viewer=bob, peer=f"chat:{group}")[0].text == "@bobby see you at 6"


def test_pin_and_unpin_in_a_private_chat_and_a_channel(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    channel = world.create_channel(title="News", creator=alice, members=[bob])
    post = world.send(sender=alice, peer=f"channel:{channel}", text="Read me first")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            await client.get_dialogs()
            hi = world.history(viewer=alice, peer=f"user:{bob}")[0]
            notice = await client.pin_message(bob, hi.id)
            assert isinstance(notice.action, types.MessageActionPinMessage)
            assert notice.reply_to_msg_id == hi.id
            assert world.history(viewer=alice, peer=f"user:{bob}")[1].pinned
            assert next(m.pinned for m in world.history(viewer=bob, peer=f"user:{alice}") if not m.service)
            await client.unpin_message(bob, hi.id)
            assert not world.history(viewer=alice, peer=f"user:{bob}")[1].pinned
            channel_notice = await client.pin_message(types.PeerChannel(channel), post, notify=True)
            assert channel_notice.reply_to_msg_id == post
            await client.unpin_message(types.PeerChannel(channel))  # unpin all
            assert not any(m.pinned for m in world.history(viewer=bob, peer=f"channel:{channel}"))

    run(scenario)


def test_unpin_all_in_a_private_chat_unpins_both_copies_silently(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    for message in world.history(viewer=alice, peer=f"user:{bob}"):
        world.add_service(actor=alice, peer=f"user:{bob}", action="pin", message_id=message.id)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            mark = world.mark()
            await client.unpin_message(bob)
            assert world.calls_since(mark)[-1:] == ["messages.UnpinAllMessagesRequest"]
            await drain_updates(client)
            assert not client._message_box.possible_gaps

    assert sum(m.pinned for m in world.history(viewer=bob, peer=f"user:{alice}")) == 2
    run(scenario)
    assert not any(m.pinned for m in world.history(viewer=bob, peer=f"user:{alice}"))
    assert not any(m.pinned for m in world.history(viewer=alice, peer=f"user:{bob}"))


def test_send_read_acknowledge_clears_unread_and_moves_the_senders_outbox(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    for i in range(3):
        world.send(sender=bob, peer=f"user:{alice}", text=f"news {i}")
    channel = world.create_channel(title="News", creator=bob, members=[alice])
    world.send(sender=bob, peer=f"channel:{channel}", text="post")

    async def scenario() -> None:
        async with (
            open_client(world, key=world.authorize_new_key(alice)) as alice_client,
            open_client(world, key=world.authorize_new_key(bob)) as bob_client,
        ):
            unread = {d.entity.id: d.unread_count for d in await alice_client.get_dialogs()}
            assert unread == {bob: 4, channel: 1}
            await alice_client.send_read_acknowledge(bob)
            await alice_client.send_read_acknowledge(types.PeerChannel(channel))
            unread = {d.entity.id: d.unread_count for d in await alice_client.get_dialogs()}
            assert unread == {bob: 0, channel: 0}
            bobs_view = next(d for d in await bob_client.get_dialogs() if d.entity.id == alice)
            assert (
                bobs_view.dialog.read_outbox_max_id == world.history(viewer=bob, peer=f"user:{alice}")[0].id
            )

    run(scenario)


def test_clear_mentions_resets_the_unread_mention_count(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    group = world.create_group(title="Club", creator=bob, members=[alice])
    world.send(sender=bob, peer=f"chat:{group}", text="@alice are you coming?")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            club = next(d for d in await client.get_dialogs() if d.entity.id == group)
            assert club.unread_mentions_count == 1
            mentions = await client(
                functions.messages.GetUnreadMentionsRequest(club.input_entity, 0, 0, 10, 0, 0)
            )
            assert [m.message for m in mentions.messages] == ["@alice are you coming?"]
            assert mentions.messages[0].mentioned
            assert mentions.messages[0].media_unread
            await client.send_read_acknowledge(club, clear_mentions=True)
            club = next(d for d in await client.get_dialogs() if d.entity.id == group)
            assert (club.unread_count, club.unread_mentions_count) == (0, 0)

    run(scenario)


def test_own_actions_keep_the_clients_pts_exact_without_get_difference(world: SandboxWorld) -> None:
    alice, bob = _pair(world)
    group = world.create_group(title="Club", creator=alice, members=[bob])
    channel = world.create_channel(title="News", creator=alice, members=[bob])

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            await client.get_dialogs()
            mark = world.mark()
            sent = await client.send_message(bob, "one")
            await client.send_message(types.PeerChat(group), "two")
            await client.send_message(types.PeerChannel(channel), "three")
            await client.pin_message(bob, sent)
            await client.send_read_acknowledge(bob)
            world.send(sender=bob, peer=f"user:{alice}", text="pushed")
            await drain_updates(client)
            state = await client(functions.updates.GetStateRequest())
            assert client._message_box.map[ENTRY_ACCOUNT].pts == state.pts
            channel_state = await client(functions.channels.GetFullChannelRequest(channel))
            assert client._message_box.map[channel].pts == channel_state.full_chat.pts
            assert not client._message_box.possible_gaps
            assert "updates.GetDifferenceRequest" not in world.calls_since(mark)

    run(scenario)


def test_a_message_sent_from_another_thread_reaches_the_client(world: SandboxWorld) -> None:
    alice, bob = _pair(world)

    async def scenario() -> str:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            inbox = _inbox(client)
            sender = threading.Thread(
                target=world.send, kwargs={"sender": bob, "peer": f"user:{alice}", "text": "from a thread"}
            )
            sender.start()
            event = await asyncio.wait_for(inbox.get(), 5)
            sender.join(5)
            return str(event.raw_text)

    assert run(scenario) == "from a thread"
