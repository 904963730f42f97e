"""Forum topics and chat folders through real Telethon: the TL methods Telegram answers them with.

Telethon 1.39 (layer 199) sends ``channels.getForumTopics``; newer versions send
``messages.getForumTopics``. Whichever the installed Telethon has is what these tests use.
"""

from __future__ import annotations

from typing import Any

import pytest
from telethon import errors, functions, types
from telethon.errors import rpcerrorlist

from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run
from mctltg.telegram.on_loop.topics import topics_by_id_request, topics_request


def _search(peer: Any, top_msg_id: int) -> Any:
    return functions.messages.SearchRequest(
        peer=peer,
        q="",
        filter=types.InputMessagesFilterEmpty(),
        min_date=None,
        max_date=None,
        offset_id=0,
        add_offset=0,
        limit=100,
        max_id=0,
        min_id=0,
        hash=0,
        top_msg_id=top_msg_id,
    )


def test_forum_topics_carry_titles_unread_counts_and_their_messages(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> tuple[Any, Any, Any, Any]:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs()  # learns the access hashes
            peer = await client.get_input_entity(types.PeerChannel(demo.forum))
            listing = await client(topics_request(peer, query=None, limit=10))
            by_id = await client(topics_by_id_request(peer, [demo.topics[0], 999]))
            thread = await client(_search(peer, demo.topics[0]))
            entity = await client.get_entity(types.PeerChannel(demo.forum))
            return listing, by_id, thread, entity

    listing, by_id, thread, entity = run(scenario)
    assert entity.forum is True
    topics = {t.title: t for t in listing.topics}
    assert {title: t.unread_count for title, t in topics.items()} == {
        "General": 1,
        "Gears": 2,
        "Announcements": 1,
        "Minutes 1843": 0,
    }
    assert topics["Minutes 1843"].closed is True
    assert [type(t).__name__ for t in by_id.topics] == ["ForumTopic", "ForumTopicDeleted"]
    assert all(m.reply_to.forum_topic for m in thread.messages if isinstance(m, types.Message))
    assert [t.title for t in thread.topics] == ["Gears"]  # answers name the topics of their messages


def test_topic_errors_are_telegrams_own(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> list[str]:
        seen: list[str] = []
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            await client.get_dialogs()
            forum = await client.get_input_entity(types.PeerChannel(demo.forum))
            plain = await client.get_input_entity(types.PeerChannel(demo.supergroup))
            for request in (
                _search(forum, 999),
                functions.messages.ReadDiscussionRequest(peer=forum, msg_id=999, read_max_id=0),
                topics_request(plain, query=None, limit=10),
                functions.messages.SendMessageRequest(
                    peer=forum,
                    message="Late minutes",
                    reply_to=types.InputReplyToMessage(reply_to_msg_id=demo.topics[2]),
                ),
            ):
                with pytest.raises(errors.RPCError) as caught:
                    await client(request)
                known = rpcerrorlist.rpc_errors_dict.items()  # Telethon's own classes keep no code
                seen.append(
                    next((code for code, cls in known if type(caught.value) is cls), caught.value.message)
                )
        return seen

    assert run(scenario) == ["TOPIC_ID_INVALID", "TOPIC_ID_INVALID", "CHANNEL_FORUM_MISSING", "TOPIC_CLOSED"]


def test_dialog_filters_and_the_archive_are_listed_like_telegram(world: SandboxWorld) -> None:
    demo = seed_demo_world(world)

    async def scenario() -> tuple[Any, list[str], list[str]]:
        async with open_client(world, key=world.authorize_new_key(demo.me)) as client:
            filters = await client(functions.messages.GetDialogFiltersRequest())
            archived = [d.name for d in await client.get_dialogs(folder=1)]
            main = [d.name for d in await client.get_dialogs(folder=0)]
            return filters, archived, main

    filters, archived, main = run(scenario)
    default, work, people = filters.filters
    assert isinstance(default, types.DialogFilterDefault)
    assert (work.id, work.title.text, len(work.include_peers)) == (demo.folders[0], "Work", 3)
    assert (people.title.text, people.contacts) == ("People", True)
    assert archived == ["Royal Institution Archive"]
    assert "Royal Institution Archive" not in main
