"""Forum topics and chat folders as one account sees them (read-only views).

A forum supergroup's topics are numbered by the service message that created each one;
topic 1 is "General" and holds every message that is in no other topic. A topic's
unread count follows the dialog rule (incoming, non-service, above the read mark), with
the mark being the higher of the chat's and the topic's own (``messages.readDiscussion``).
Chat folders follow Telegram's ``DialogFilter``: chosen chats, plus chats of the chosen
kinds, minus the excluded ones.
"""

from __future__ import annotations

from typing import Any, Final

from telethon.tl import types

from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.render import access_hash, notify_settings_tl
from mctltg.sandbox.state import ChannelRecord, FilterRecord, PeerKey, StoredMessage, WorldState
from mctltg.sandbox.tl import build, to_datetime
from mctltg.sandbox.views import is_incoming

__all__ = [
    "ARCHIVE_FOLDER",
    "GENERAL_TOPIC",
    "filter_tl",
    "forum_of",
    "in_folder",
    "in_topic",
    "input_peer_tl",
    "page_topics",
    "topic_messages",
    "topic_read_max",
    "topic_tl",
]

GENERAL_TOPIC: Final = 1
ARCHIVE_FOLDER: Final = 1


def forum_of(state: WorldState, peer: PeerKey) -> ChannelRecord:
    """The forum supergroup behind ``peer``.

    Raises:
        RpcFault: 400 ``CHANNEL_FORUM_MISSING`` when the chat is not a forum.
    """
    channel = state.channels.get(peer.id) if peer.kind == "channel" else None
    if channel is None or not channel.forum:
        raise RpcFault(400, "CHANNEL_FORUM_MISSING")
    return channel


def in_topic(channel: ChannelRecord, message: StoredMessage, topic: int) -> bool:
    """Whether ``message`` belongs to ``topic`` (its creating message included)."""
    if topic == GENERAL_TOPIC:
        return message.topic is None and message.id not in channel.topics
    return message.topic == topic or message.id == topic


def topic_messages(channel: ChannelRecord, topic: int) -> list[StoredMessage]:
    """The topic's messages, oldest first."""
    return [m for m in channel.messages.values() if in_topic(channel, m, topic)]


def topic_read_max(state: WorldState, viewer: int, channel: ChannelRecord, topic: int) -> int:
    read_state = state.accounts[viewer].dialogs.get(PeerKey("channel", channel.id))
    if read_state is None:
        return 0
    return max(read_state.read_inbox_max_id, read_state.topic_reads.get(topic, 0))


def topic_tl(state: WorldState, viewer: int, channel: ChannelRecord, topic: int) -> Any:
    """The ``ForumTopic`` for one topic, with the viewer's unread counts."""
    record = channel.topics[topic]
    messages = topic_messages(channel, topic)
    read_max = topic_read_max(state, viewer, channel, topic)
    read_state = state.accounts[viewer].dialogs.get(PeerKey("channel", channel.id))
    mentions = read_state.unread_mentions if read_state else set()
    unread = [m for m in messages if m.id > read_max and m.action is None and is_incoming(viewer, m)]
    return build(
        types.ForumTopic,
        id=topic,
        date=to_datetime(record.date),
        peer=types.PeerChannel(channel.id),
        title=record.title,
        icon_color=record.icon_color,
        top_message=messages[-1].id if messages else topic,
        read_inbox_max_id=read_max,
        read_outbox_max_id=0,
        unread_count=len(unread),
        unread_mentions_count=sum(1 for m in messages if m.id in mentions),
        unread_reactions_count=0,
        from_id=types.PeerUser(record.creator),
        notify_settings=notify_settings_tl(None),
        my=record.creator == viewer,
        closed=record.closed,
        pinned=record.pinned,
    )


def page_topics(state: WorldState, viewer: int, peer: PeerKey, page: list[StoredMessage]) -> list[Any]:
    """The ``ForumTopic``s a page of a forum's messages belongs to (answers carry them)."""
    channel = state.channels.get(peer.id) if peer.kind == "channel" else None
    if channel is None or not channel.forum:
        return []
    ids = sorted({m.topic or (m.id if m.id in channel.topics else GENERAL_TOPIC) for m in page})
    return [topic_tl(state, viewer, channel, t) for t in ids if t in channel.topics]


def input_peer_tl(state: WorldState, viewer: int, peer: PeerKey) -> Any:
    """The ``InputPeer*`` ``viewer`` would use for ``peer`` (folders list peers this way)."""
    if peer.kind == "user":
        if peer.id == viewer:
            return types.InputPeerSelf()
        return types.InputPeerUser(peer.id, access_hash(state, viewer, "user", peer.id))
    if peer.kind == "chat":
        return types.InputPeerChat(peer.id)
    return types.InputPeerChannel(peer.id, access_hash(state, viewer, "channel", peer.id))


def filter_tl(state: WorldState, viewer: int, record: FilterRecord) -> Any:
    def peers(keys: list[PeerKey]) -> list[Any]:
        return [input_peer_tl(state, viewer, key) for key in keys]

    return build(
        types.DialogFilter,
        id=record.id,
        title=build(types.TextWithEntities, text=record.title, entities=[]),
        pinned_peers=peers(record.pinned),
        include_peers=peers(record.include),
        exclude_peers=peers(record.exclude),
        contacts=record.contacts,
        non_contacts=record.non_contacts,
        groups=record.groups,
        broadcasts=record.broadcasts,
        bots=record.bots,
        exclude_muted=record.exclude_muted,
        exclude_read=record.exclude_read,
        exclude_archived=record.exclude_archived,
        emoticon=record.emoticon,
    )


def in_folder(state: WorldState, viewer: int, peer: PeerKey, folder_id: int) -> bool:
    """Whether ``peer`` is in the archive (``folder_id`` 1) or the main list (0)."""
    read_state = state.accounts[viewer].dialogs.get(peer)
    return (read_state.folder_id if read_state else 0) == folder_id
