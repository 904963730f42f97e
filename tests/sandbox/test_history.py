"""History through real Telethon: paging, per-account ids, messages by id, service messages."""

from __future__ import annotations

from telethon import types

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
            assert document.file.size == 48_213

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
