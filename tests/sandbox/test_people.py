"""People and threads through real Telethon: contacts.search, full info, messages.getReplies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from telethon import errors, functions, types

from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld


def _people(world: SandboxWorld) -> dict[str, int]:
    ids = {
        "me": world.add_user(first_name="Me", username="me_here"),
        "open": world.add_user(first_name="Olive", last_name="Open", username="olive", phone="+9996621001"),
        "shy": world.add_user(first_name="Oscar", last_name="Shy", phone="+9996621002"),
        "stranger": world.add_user(first_name="Otto", username="otto_public", phone="+9996621003"),
    }
    world.add_contact(user_id=ids["me"], contact=ids["open"])
    world.add_contact(user_id=ids["me"], contact=ids["shy"])
    world.describe_user(ids["shy"], about="Quiet person", phone_private=True)
    return ids


def test_contacts_search_puts_your_contacts_first_and_public_usernames_after(world: SandboxWorld) -> None:
    ids = _people(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ids["me"])) as client:
            found = await client(functions.contacts.SearchRequest(q="o", limit=10))
            assert [p.user_id for p in found.my_results] == [ids["open"], ids["shy"]]
            assert [p.user_id for p in found.results] == [ids["stranger"]]
            phones = {u.id: u.phone for u in found.users}
            assert phones == {ids["open"]: "9996621001", ids["shy"]: None, ids["stranger"]: None}
            with pytest.raises(errors.SearchQueryEmptyError):
                await client(functions.contacts.SearchRequest(q="  ", limit=10))

    run(scenario)


def test_full_info_carries_bios_slow_mode_and_the_linked_discussion_group(world: SandboxWorld) -> None:
    ids = _people(world)
    me = ids["me"]
    channel = world.create_channel(title="News", creator=ids["open"], members=[me], username="news_x")
    talk = world.create_channel(title="News talk", creator=ids["open"], megagroup=True, username="news_talk")
    post = world.send(sender=ids["open"], peer=f"channel:{channel}", text="Post one")
    world.send(sender=ids["open"], peer=f"channel:{channel}", text="Post two")
    world.describe_channel(talk, about="Say hi", slowmode_seconds=60)
    copy = world.open_comments(channel=channel, post_id=post, discussion=talk)
    world.send(sender=ids["open"], peer=f"channel:{talk}", text="First comment", reply_to=copy)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(me)) as client:
            shy = await client(
                functions.users.GetFullUserRequest(id=await client.get_input_entity(ids["shy"]))
            )
            assert shy.full_user.about == "Quiet person"
            news = await client(functions.channels.GetFullChannelRequest(channel="news_x"))
            assert news.full_chat.linked_chat_id == talk
            full_talk = await client(functions.channels.GetFullChannelRequest(channel="news_talk"))
            assert full_talk.full_chat.slowmode_seconds == 60
            assert full_talk.chats[0].slowmode_enabled
            peer = await client.get_input_entity("news_x")
            thread = await client(
                functions.messages.GetRepliesRequest(
                    peer=peer,
                    msg_id=post,
                    offset_id=0,
                    offset_date=None,
                    add_offset=0,
                    limit=10,
                    max_id=0,
                    min_id=0,
                    hash=0,
                )
            )
            assert isinstance(thread, types.messages.ChannelMessages)
            assert [m.message for m in thread.messages] == ["First comment"]
            assert thread.messages[0].peer_id == types.PeerChannel(talk)
            with pytest.raises(errors.MsgIdInvalidError):
                await client(
                    functions.messages.GetRepliesRequest(
                        peer=peer,
                        msg_id=post + 1,
                        offset_id=0,
                        offset_date=None,
                        add_offset=0,
                        limit=10,
                        max_id=0,
                        min_id=0,
                        hash=0,
                    )
                )

    run(scenario)
