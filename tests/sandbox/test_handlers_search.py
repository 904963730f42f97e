"""Search through real Telethon: in one chat and across all chats, with date bounds."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from telethon import functions, types

from mctltg.sandbox.testing import ManualClock, open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld

DAY = 86_400.0


def _when(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def _chatty_world(world: SandboxWorld, clock: ManualClock) -> tuple[int, int, int, int]:
    me = world.add_user(first_name="Me")
    bob = world.add_user(first_name="Bob", username="bobby")
    carol = world.add_user(first_name="Carol")
    channel = world.create_channel(title="Tea Times", creator=carol, members=[me], date=clock() - 10 * DAY)
    start = clock() - 5 * DAY
    script = [
        (bob, f"user:{me}", "Tea at five?"),
        (me, f"user:{bob}", "Yes, green TEA please"),
        (carol, f"user:{me}", "No tea for me, coffee"),
        (carol, f"channel:{channel}", "Tea ceremony this weekend"),
        (bob, f"user:{me}", "Biscuits too"),
        (me, f"user:{carol}", "Teapot is broken"),
    ]
    for day, (sender, peer, text) in enumerate(script):
        world.send(sender=sender, peer=peer, text=text, date=start + day * DAY)
    return me, bob, carol, channel


def test_search_in_a_chat_is_a_case_insensitive_substring_match(
    world: SandboxWorld, clock: ManualClock
) -> None:
    me, bob, _, _ = _chatty_world(world, clock)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            found = [m.raw_text async for m in client.iter_messages(bob, search="tea")]
            assert found == ["Yes, green TEA please", "Tea at five?"]
            assert (await client.get_messages(bob, search="biscuit", limit=0)).total == 1

    run(scenario)


def test_search_in_a_chat_honours_exclusive_date_bounds(world: SandboxWorld, clock: ManualClock) -> None:
    me, bob, _, _ = _chatty_world(world, clock)
    first_day = clock() - 5 * DAY

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            peer = await client.get_input_entity(bob)
            result = await client(
                functions.messages.SearchRequest(
                    peer=peer,
                    q="",
                    filter=types.InputMessagesFilterEmpty(),
                    min_date=_when(first_day),
                    max_date=_when(first_day + 4 * DAY),
                    offset_id=0,
                    add_offset=0,
                    limit=10,
                    max_id=0,
                    min_id=0,
                    hash=0,
                )
            )
            assert [m.message for m in result.messages] == ["Yes, green TEA please"]

    run(scenario)


def test_global_search_spans_all_chats_and_channels_newest_first(
    world: SandboxWorld, clock: ManualClock
) -> None:
    me, _, _, _ = _chatty_world(world, clock)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            found = [m.raw_text async for m in client.iter_messages(None, search="tea")]
            assert found == [
                "Teapot is broken",
                "Tea ceremony this weekend",
                "No tea for me, coffee",
                "Yes, green TEA please",
                "Tea at five?",
            ]

    run(scenario)


def test_global_search_pages_with_next_rate_and_date_bounds(world: SandboxWorld, clock: ManualClock) -> None:
    me, _, _, _ = _chatty_world(world, clock)
    first_day = clock() - 5 * DAY

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            pages: list[list[str]] = []
            request = functions.messages.SearchGlobalRequest(
                q="",
                filter=types.InputMessagesFilterEmpty(),
                min_date=_when(first_day),
                max_date=_when(first_day + 5 * DAY),
                offset_rate=0,
                offset_peer=types.InputPeerEmpty(),
                offset_id=0,
                limit=2,
            )
            while True:
                result = await client(request)
                pages.append([m.message for m in result.messages])
                if isinstance(result, types.messages.Messages) or not result.messages:
                    break
                last = result.messages[-1]
                request.offset_rate = result.next_rate
                request.offset_peer = await client.get_input_entity(last.peer_id)
                request.offset_id = last.id
                assert result.count == 4
            assert pages == [
                ["Biscuits too", "Tea ceremony this weekend"],
                ["No tea for me, coffee", "Yes, green TEA please"],
                [],
            ]

    run(scenario)


def test_the_pinned_filter_finds_pinned_messages(world: SandboxWorld, clock: ManualClock) -> None:
    me, _, carol, channel = _chatty_world(world, clock)
    world.add_service(actor=carol, peer=f"channel:{channel}", action="pin")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            await client.get_dialogs()
            pinned = await client.get_messages(channel, filter=types.InputMessagesFilterPinned)
            assert [m.raw_text for m in pinned] == ["Tea ceremony this weekend"]

    run(scenario)


def test_search_in_a_group_can_keep_one_senders_messages(world: SandboxWorld) -> None:
    me = world.add_user(first_name="Me")
    bob = world.add_user(first_name="Bob")
    carol = world.add_user(first_name="Carol")
    group = world.create_group(title="Club", creator=me, members=[bob, carol])
    for sender, text in ((bob, "tea?"), (carol, "tea!"), (bob, "more tea"), (carol, "no")):
        world.send(sender=sender, peer=f"chat:{group}", text=text)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            await client.get_dialogs()
            found = await client.get_messages(types.PeerChat(group), None, search="tea", from_user=bob)
            assert [m.raw_text for m in found] == ["more tea", "tea?"]

    run(scenario)
