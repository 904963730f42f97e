"""Dialogs through real Telethon: unread counts, mentions, mute, entities and paging."""

from __future__ import annotations

import datetime

from telethon import functions, types, utils

from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.sandbox.testing import ManualClock, open_client
from mctltg.sandbox.testing import run_bounded as run


def test_demo_dialogs_show_the_seeded_unread_counts_mentions_and_mute(
    world: SandboxWorld, clock: ManualClock
) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> dict[str, tuple[int, int, bool]]:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            dialogs = await client.get_dialogs()
            now = datetime.datetime.fromtimestamp(clock(), tz=datetime.UTC)
            return {
                d.name: (
                    d.unread_count,
                    d.unread_mentions_count,
                    bool(d.dialog.notify_settings.mute_until and d.dialog.notify_settings.mute_until > now),
                )
                for d in dialogs
            }

    seen = run(scenario)
    assert seen == {
        "Ada Lovelace": (0, 0, False),
        "Charles Babbage": (1, 0, False),
        "Katherine Johnson": (3, 0, False),
        "Science Weekly": (3, 0, False),
        "Analytical Engine Club": (3, 1, False),
        "Mary Somerville": (2, 0, False),
        "Math Circle": (2, 0, True),
        "Engine Makers": (4, 0, False),
        "Grace Hopper": (0, 0, False),
        "Alan Turing": (0, 0, False),
    }


def test_dialogs_come_newest_first_with_entities_carrying_the_worlds_access_hashes(
    world: SandboxWorld,
) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            dialogs = await client.get_dialogs()
            dates = [d.message.date for d in dialogs]
            assert dates == sorted(dates, reverse=True)
            for dialog in dialogs:
                entity = dialog.entity
                if isinstance(entity, types.User):
                    assert entity.access_hash == world.access_hash(viewer=demo.me, peer=f"user:{entity.id}")
                elif isinstance(entity, types.Channel):
                    assert entity.access_hash == world.access_hash(
                        viewer=demo.me, peer=f"channel:{entity.id}"
                    )
                    assert dialog.dialog.pts > 0
                else:
                    assert isinstance(entity, types.Chat)
            channel = await client.get_entity(types.PeerChannel(demo.channel))
            assert channel.broadcast
            assert channel.username == "science_weekly"
            supergroup = await client.get_entity(utils.get_peer_id(types.PeerChannel(demo.supergroup)))
            assert supergroup.megagroup

    run(scenario)


def test_many_dialogs_page_through_dialogs_slices_without_gaps_or_repeats(world: SandboxWorld) -> None:
    clock = ManualClock()
    world = SandboxWorld(clock=clock)
    me = world.add_user(first_name="Me")
    others = [world.add_user(first_name=f"Friend {i}") for i in range(130)]
    for i, other in enumerate(others):
        world.send(sender=other, peer=f"user:{me}", text=f"hello {i}", date=clock() + i)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            assert (await client.get_dialogs(limit=0)).total == 130
            mark = world.mark()
            dialogs = await client.get_dialogs()
            assert world.calls_since(mark).count("messages.GetDialogsRequest") == 2
            assert [d.entity.id for d in dialogs] == others[::-1]

    run(scenario)


def test_get_peer_dialogs_answers_for_the_asked_peers(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs()
            mary = await client.get_input_entity(demo.contacts[1])
            result = await client(functions.messages.GetPeerDialogsRequest(peers=[mary]))
            assert [d.unread_count for d in result.dialogs] == [2]
            assert result.state.pts > 0

    run(scenario)


def test_full_user_channel_and_chat_answer(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs()
            full_user = await client(functions.users.GetFullUserRequest(demo.second))
            assert full_user.users[0].id == demo.second
            full_channel = await client(functions.channels.GetFullChannelRequest(demo.channel))
            assert full_channel.full_chat.pinned_msg_id is not None
            full_chat = await client(functions.messages.GetFullChatRequest(demo.group))
            assert len(full_chat.full_chat.participants.participants) == 4
            resolved = await client.get_entity("grace_h")
            assert resolved.id == demo.second

    run(scenario)
