"""Reading through real Telethon: dialogs (unread counts, mentions, mute, entities, paging) and
history (paging, per-account ids, messages by id, service messages)."""

from __future__ import annotations

import datetime

from telethon import functions, types, utils

from mctltg.sandbox import SandboxMedia, SandboxWorld, seed_demo_world
from mctltg.sandbox.testing import ManualClock, open_client
from mctltg.sandbox.testing import run_bounded as run


def _big_group(world: SandboxWorld, clock: ManualClock) -> tuple[int, int]:
    me = world.add_user(first_name="Me")
    other = world.add_user(first_name="Other")
    group = world.create_group(title="Long history", creator=other, members=[me])
    for i in range(1000):
        clock.advance(60)
        sender = me if i % 3 == 0 else other
        world.send(sender=sender, peer=f"chat:{group}", text=f"message {i}")
        if i % 97 == 0:
            world.add_service(actor=other, peer=f"chat:{group}", action="pin")
    return me, group


def test_iterating_a_thousand_message_history_has_no_gaps_or_repeats(
    world: SandboxWorld, clock: ManualClock
) -> None:
    me, group = _big_group(world, clock)
    expected = [m.id for m in world.history(viewer=me, peer=f"chat:{group}")]
    assert len(expected) > 1000

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            entity = await client.get_entity(types.PeerChat(group))
            newest_first = [m.id async for m in client.iter_messages(entity, wait_time=0)]
            assert newest_first == expected
            oldest_first = [m.id async for m in client.iter_messages(entity, reverse=True, wait_time=0)]
            assert oldest_first == expected[::-1]
            assert (await client.get_messages(entity, limit=0)).total == len(expected)
            window = [m.id async for m in client.iter_messages(entity, offset_id=500, limit=150)]
            assert window == [i for i in expected if i < 500][:150]
            bounded = [m.id async for m in client.iter_messages(entity, min_id=100, max_id=350, wait_time=0)]
            assert bounded == [i for i in expected if 100 < i < 350]
            services = [
                m
                async for m in client.iter_messages(entity, wait_time=0)
                if isinstance(m, types.MessageService)
            ]
            assert len(services) == 1 + 11  # "created the group" and the pins
            assert all(
                isinstance(s.action, (types.MessageActionPinMessage, types.MessageActionChatCreate))
                for s in services
            )

    run(scenario)


def test_each_account_numbers_private_and_group_messages_on_its_own(world: SandboxWorld) -> None:
    alice = world.add_user(first_name="Alice")
    bob = world.add_user(first_name="Bob")
    carol = world.add_user(first_name="Carol")
    for i in range(3):
        world.send(sender=carol, peer=f"user:{alice}", text=f"carol {i}")
    in_bobs_box = world.send(sender=bob, peer=f"user:{alice}", text="from bob")
    in_alices_box = world.history(viewer=alice, peer=f"user:{bob}")[0].id
    assert (in_bobs_box, in_alices_box) == (1, 4)
    channel = world.create_channel(title="News", creator=bob, members=[alice])
    post = world.send(sender=bob, peer=f"channel:{channel}", text="post")
    assert world.history(viewer=alice, peer=f"channel:{channel}")[0].id == post == 2


def test_get_messages_by_ids_spans_several_private_chats_in_one_request(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)
    wanted = {
        world.history(viewer=demo.me, peer=f"user:{contact}")[0].id: world.history(
            viewer=demo.me, peer=f"user:{contact}"
        )[0].text
        for contact in demo.contacts[:3]
    }
    group_message = world.history(viewer=demo.me, peer=f"chat:{demo.group}")[0]
    wanted[group_message.id] = group_message.text

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            mark = world.mark()
            ids = [*sorted(wanted), 99_999]
            messages = await client.get_messages(None, ids=ids)
            assert world.calls_since(mark) == ["messages.GetMessagesRequest"]
            assert {m.id: m.raw_text for m in messages if m is not None} == wanted
            assert messages[-1] is None

    run(scenario)


def test_channel_messages_by_id_and_media_are_served(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)
    katherine = demo.contacts[4]

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs()
            channel = await client.get_entity(types.PeerChannel(demo.channel))
            posts = await client.get_messages(channel, ids=[2, 3, 500])
            assert [p.id if p else None for p in posts] == [2, 3, None]
            assert posts[0].post
            assert posts[0].views is not None
            media = [m async for m in client.iter_messages(katherine) if m.media]
            assert {type(m.media).__name__ for m in media} == {"MessageMediaDocument", "MessageMediaPhoto"}
            document = next(m for m in media if m.document)
            assert document.file.name == "trajectory-notes.pdf"
            assert document.file.mime_type == "application/pdf"
            pdf = world.media(viewer=demo.me, peer=f"user:{katherine}", message_id=demo.pdf_message_id)
            assert pdf is not None
            assert document.file.size == pdf.size

    run(scenario)


def test_voice_video_audio_and_sticker_media_read_back(world: SandboxWorld) -> None:
    alice = world.add_user(first_name="Alice")
    bob = world.add_user(first_name="Bob")
    kinds = {
        "voice": SandboxMedia(kind="voice", duration=3.0, size=9000),
        "video": SandboxMedia(kind="video", duration=12.5, width=640, height=360, size=800_000),
        "audio": SandboxMedia(kind="audio", duration=180.0, file_name="song.mp3", size=3_000_000),
        "sticker": SandboxMedia(kind="sticker", size=20_000),
    }
    for kind, media in kinds.items():
        world.send(sender=bob, peer=f"user:{alice}", text=kind, media=media)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            messages = {m.raw_text: m async for m in client.iter_messages(bob)}
            assert messages["voice"].voice is not None
            assert messages["video"].video is not None
            assert messages["audio"].audio is not None
            assert messages["sticker"].sticker is not None

    run(scenario)


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
