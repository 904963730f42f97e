"""Forum messages: each carries its topic, and replying to a topic's top message is no reply."""

from __future__ import annotations

import datetime
from typing import Any

from telethon.tl import types

from mctltg.sandbox.tl import build
from mctltg.telegram.on_loop.convert_messages import Entities, media_info, message_from_tl

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


def test_a_poll_carries_its_question_options_and_counts() -> None:
    def text(value: str) -> Any:
        return build(types.TextWithEntities, text=value, entities=[])

    answers = [build(types.PollAnswer, text=text(t), option=bytes([i])) for i, t in enumerate(("Yes", "No"))]
    poll = build(types.Poll, id=1, question=text("Tea?"), answers=answers, hash=0, closed=True)
    voters = [
        build(types.PollAnswerVoters, option=bytes([i]), voters=v, recent_voters=[])
        for i, v in enumerate((4, 1))
    ]
    results = build(types.PollResults, results=voters, total_voters=5)
    info = media_info(types.MessageMediaPoll(poll=poll, results=results))
    assert info is not None
    assert (info.type, info.question, info.voters, info.closed) == ("poll", "Tea?", 5, True)
    assert [(o.text, o.votes) for o in info.options] == [("Yes", 4), ("No", 1)]


def test_a_location_contact_and_round_video_are_told_apart() -> None:
    geo = media_info(types.MessageMediaGeo(geo=types.GeoPoint(long=-0.14, lat=51.5, access_hash=1)))
    card = media_info(
        types.MessageMediaContact(phone_number="+999", first_name="Ada", last_name="L", vcard="", user_id=5)
    )
    round_video = types.DocumentAttributeVideo(duration=4, w=240, h=240, round_message=True)
    document = types.Document(
        id=1,
        access_hash=1,
        file_reference=b"",
        date=WHEN,
        mime_type="video/mp4",
        size=10,
        dc_id=2,
        attributes=[round_video],
    )
    note = media_info(types.MessageMediaDocument(document=document, round=True))
    assert geo is not None
    assert card is not None
    assert note is not None
    assert (geo.type, geo.latitude, geo.longitude) == ("location", 51.5, -0.14)
    assert (card.type, card.contact_name, card.phone, card.contact_user_id) == ("contact", "Ada L", "+999", 5)
    assert (note.type, note.duration, note.width) == ("video_note", 4.0, 240)
