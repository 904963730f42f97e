"""Forum topics, ON the Telethon thread: list them, read one, find its unread, mark it read.

Telethon 1.39 (layer 199) has ``channels.getForumTopics`` taking an ``InputChannel``;
newer layers have ``messages.getForumTopics`` taking an ``InputPeer``. Both answer
``messages.ForumTopics``; :func:`topics_request` builds whichever the installed Telethon
has. A topic's messages are read with ``messages.search`` and ``top_msg_id`` (an empty
query lists the whole thread), which pages exactly like history.
"""

from __future__ import annotations

from typing import Any, Final

from telethon.tl import functions, types

from mctltg.errors import TelegramRpcError
from mctltg.telegram.error_map import ACTIONABLE
from mctltg.telegram.model import ForumTopic, Message, MessagePage, PeerRef, TopicList
from mctltg.telegram.on_loop.convert import canonical_peer_of, chat_title, timestamp
from mctltg.telegram.on_loop.convert_messages import Entities, message_from_tl
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = [
    "fetch_topic_history",
    "fetch_topics",
    "mark_topic_read",
    "topic_info",
    "topic_unread",
    "topics_by_id_request",
    "topics_request",
]

#: Telegram answers at most 100 topics or messages per call.
CHUNK: Final = 100


def _input_channel(input_peer: Any) -> Any:
    if isinstance(input_peer, types.InputPeerChannel):
        return types.InputChannel(input_peer.channel_id, input_peer.access_hash)
    return types.InputChannelEmpty()  # Telegram answers CHANNEL_INVALID: not a forum


def topics_request(input_peer: Any, *, query: str | None, limit: int) -> Any:
    """``getForumTopics`` for the installed layer (``messages`` since 1.40, ``channels`` before)."""
    common: dict[str, Any] = {
        "offset_date": None,
        "offset_id": 0,
        "offset_topic": 0,
        "limit": limit,
        "q": query,
    }
    if hasattr(functions.messages, "GetForumTopicsRequest"):
        return functions.messages.GetForumTopicsRequest(peer=input_peer, **common)
    return functions.channels.GetForumTopicsRequest(channel=_input_channel(input_peer), **common)


def topics_by_id_request(input_peer: Any, topics: list[int]) -> Any:
    """``getForumTopicsByID`` for the installed layer."""
    if hasattr(functions.messages, "GetForumTopicsByIDRequest"):
        return functions.messages.GetForumTopicsByIDRequest(peer=input_peer, topics=topics)
    return functions.channels.GetForumTopicsByIDRequest(channel=_input_channel(input_peer), topics=topics)


def _topics(answer: Any) -> list[ForumTopic]:
    dates = {int(m.id): timestamp(m.date) for m in answer.messages if hasattr(m, "date")}
    return [
        ForumTopic(
            id=int(t.id),
            title=str(t.title),
            unread_count=int(t.unread_count or 0),
            unread_mentions_count=int(t.unread_mentions_count or 0),
            top_message=int(t.top_message or 0),
            read_inbox_max_id=int(t.read_inbox_max_id or 0),
            last_message_date=dates.get(int(t.top_message or 0)),
            closed=bool(t.closed),
            pinned=bool(t.pinned),
        )
        for t in answer.topics
        if isinstance(t, types.ForumTopic)
    ]


def _topic_invalid() -> TelegramRpcError:
    return TelegramRpcError("TOPIC_ID_INVALID", ACTIONABLE["TOPIC_ID_INVALID"])


async def fetch_topics(client: Any, ref: PeerRef, query: str | None, limit: int) -> TopicList:
    """The forum's topics (title containing ``query``), pinned first. One RPC per 100 topics."""

    async def listing(input_peer: Any) -> TopicList:
        answer = await client(topics_request(input_peer, query=query or None, limit=min(limit, CHUNK)))
        peer = canonical_peer_of(input_peer) if isinstance(input_peer, types.InputPeerChannel) else str(ref)
        entity = Entities(answer).get(peer)
        return TopicList(
            peer=peer,
            title=chat_title(entity) if entity is not None else "",
            topics=tuple(_topics(answer)[:limit]),
            total=int(answer.count),
        )

    return await with_peer(client, ref, listing)


async def topic_info(client: Any, input_peer: Any, topic_id: int) -> ForumTopic:
    """One topic's read state (``getForumTopicsByID``).

    Raises:
        TelegramRpcError: ``TOPIC_ID_INVALID`` when the forum has no such topic.
    """
    answer = await client(topics_by_id_request(input_peer, [topic_id]))
    found = [t for t in _topics(answer) if t.id == topic_id]
    if not found:
        raise _topic_invalid()
    return found[0]


def _converted(answer: Any) -> list[Message]:
    entities = Entities(answer)
    return [m for raw in answer.messages if (m := message_from_tl(raw, entities)) is not None]


async def _thread(
    client: Any, input_peer: Any, topic_id: int, *, limit: int, offset_id: int, min_id: int
) -> tuple[list[Message], bool]:
    """Up to ``limit`` of the topic's messages in (``min_id``, ``offset_id``); and whether more exist."""
    collected: list[Message] = []
    offset = offset_id
    while len(collected) < limit:
        want = min(CHUNK, limit - len(collected))
        answer = await client(
            functions.messages.SearchRequest(
                peer=input_peer,
                q="",
                filter=types.InputMessagesFilterEmpty(),
                min_date=None,
                max_date=None,
                offset_id=offset,
                add_offset=0,
                limit=want,
                max_id=0,
                min_id=min_id,
                hash=0,
                top_msg_id=topic_id,
            )
        )
        batch = [m for m in _converted(answer) if (not offset or m.id < offset) and m.id > min_id]
        collected.extend(batch)
        if not batch or len(answer.messages) < want or isinstance(answer, types.messages.Messages):
            return collected, False
        offset = min(m.id for m in batch)
    return collected, True


async def fetch_topic_history(
    client: Any, ref: PeerRef, topic_id: int, limit: int, before_id: int | None, after_id: int | None
) -> MessagePage:
    """A page of one topic, newest first: one ``messages.search`` per 100 messages."""

    async def page(input_peer: Any) -> MessagePage:
        floor = after_id or 0
        found, more = await _thread(
            client, input_peer, topic_id, limit=limit, offset_id=before_id or 0, min_id=floor
        )
        lowest = min((m.id for m in found), default=None)
        return MessagePage(
            messages=tuple(found),
            next_before_id=lowest if more and lowest is not None and lowest > floor + 1 else None,
            peer=next((m.peer for m in found), str(ref)),
            peer_title=next((m.peer_title for m in found if m.peer_title), ""),
        )

    return await with_peer(client, ref, page)


async def topic_unread(
    client: Any, ref: PeerRef, topic_id: int, limit: int
) -> tuple[ForumTopic, list[Message]]:
    """The topic's unread incoming messages, oldest first: ``getForumTopicsByID`` plus one search."""

    async def unread(input_peer: Any) -> tuple[ForumTopic, list[Message]]:
        topic = await topic_info(client, input_peer, topic_id)
        if topic.unread_count == 0:
            return topic, []
        want = min(CHUNK, topic.unread_count + 10)  # room for your own messages in between
        found, _ = await _thread(
            client, input_peer, topic_id, limit=want, offset_id=0, min_id=topic.read_inbox_max_id
        )
        incoming = [m for m in found if not m.out and not m.service]
        return topic, sorted(incoming, key=lambda m: m.id)[-min(limit, topic.unread_count) :]

    return await with_peer(client, ref, unread)


async def mark_topic_read(client: Any, ref: PeerRef, topic_id: int, max_id: int | None) -> int:
    """Mark one topic read up to ``max_id`` (None: its newest message); returns the id used."""

    async def read(input_peer: Any) -> int:
        top = max_id
        if top is None:
            top = (await topic_info(client, input_peer, topic_id)).top_message
        await client(
            functions.messages.ReadDiscussionRequest(peer=input_peer, msg_id=topic_id, read_max_id=top)
        )
        return top

    return await with_peer(client, ref, read)
