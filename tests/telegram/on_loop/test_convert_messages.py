"""Forum messages: each carries its topic, and replying to a topic's top message is no reply."""

from __future__ import annotations

import datetime
from typing import Any

from telethon.tl import types

from mctltg.sandbox.tl import build
from mctltg.telegram.on_loop.convert_messages import Entities, message_from_tl

WHEN = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)


class _Answer:
    def __init__(self, forum: bool) -> None:
        channel = types.Channel(
            id=7, title="Engine Makers", photo=types.ChatPhotoEmpty(), date=WHEN, megagroup=True, forum=forum
        )
        self.users: list[Any] = []
        self.chats = [channel]
        topic = {"id": 5, "title": "Gears", "top_message": 9, "from_id": types.PeerUser(1)}
        topic |= {"peer": types.PeerChannel(7), "notify_settings": types.PeerNotifySettings()}
        self.topics = [build(types.ForumTopic, **topic)]  # layer-tolerant: 1.39 has no ``peer``


def _message(reply_to: Any, *, forum: bool = True) -> Any:
    raw = types.Message(id=9, peer_id=types.PeerChannel(7), date=WHEN, message="hi", reply_to=reply_to)
    return message_from_tl(raw, Entities(_Answer(forum)))


def test_a_message_in_a_topic_carries_the_topic_and_its_title_but_no_reply() -> None:
    message = _message(types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=5))
    assert (message.topic_id, message.topic_title, message.reply_to) == (5, "Gears", None)


def test_a_reply_inside_a_topic_keeps_both_the_reply_and_the_topic() -> None:
    message = _message(types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=8, reply_to_top_id=5))
    assert (message.topic_id, message.reply_to) == (5, 8)


def test_a_forum_message_outside_every_topic_is_in_general_and_other_chats_have_no_topic() -> None:
    assert _message(None).topic_id == 1
    assert _message(types.MessageReplyHeader(reply_to_msg_id=3)).topic_id == 1
    assert _message(None, forum=False).topic_id is None
    assert _message(types.MessageReplyHeader(reply_to_msg_id=3), forum=False).reply_to == 3
