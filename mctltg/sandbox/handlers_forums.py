"""Forum topics and chat folders: ``getForumTopics``, ``getForumTopicsByID``,
``readDiscussion``, ``getDialogFilters``.

Telethon 1.39 (layer 199) has the topic methods in ``channels`` and takes an
``InputChannel``; newer layers moved them to ``messages`` with an ``InputPeer``. Both
answer ``messages.ForumTopics``, so each installed class is routed to one handler.
Topics come pinned first, then by latest activity, as in Telegram's apps.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.forums import filter_tl, forum_of, topic_messages, topic_tl
from mctltg.sandbox.handlers_reading import readable_peer
from mctltg.sandbox.render import entities, message_peers, message_tl
from mctltg.sandbox.state import ChannelRecord, PeerKey, StoredMessage
from mctltg.sandbox.tl import build

__all__ = ["ROUTES"]


def _forum(call: Call, request: Any) -> ChannelRecord:
    target = getattr(request, "peer", None) or getattr(request, "channel", None)
    return forum_of(call.state, readable_peer(call, target))


def _answer(call: Call, channel: ChannelRecord, topics: list[int], count: int) -> Any:
    me = call.me
    tops: list[StoredMessage] = []
    for topic in topics:
        messages = topic_messages(channel, topic)
        if messages:
            tops.append(messages[-1])
    peers: list[PeerKey] = [PeerKey("channel", channel.id)]
    peers += [PeerKey("user", channel.topics[t].creator) for t in topics]
    peers += [p for m in tops for p in message_peers(m)]
    users, chats = entities(call.state, me, peers)
    return build(
        types.messages.ForumTopics,
        count=count,
        topics=[topic_tl(call.state, me, channel, t) for t in topics],
        messages=[message_tl(call.state, me, m) for m in tops],
        chats=chats,
        users=users,
        pts=channel.pts,
    )


def _activity(channel: ChannelRecord, topic: int) -> tuple[bool, int]:
    messages = topic_messages(channel, topic)
    return (channel.topics[topic].pinned, messages[-1].id if messages else topic)


def get_forum_topics(call: Call, request: Any) -> Any:
    channel = _forum(call, request)
    needle = (request.q or "").casefold()
    ordered = sorted(channel.topics, key=lambda t: _activity(channel, t), reverse=True)
    found = [t for t in ordered if needle in channel.topics[t].title.casefold()]
    start = 0
    if request.offset_topic:
        start = next((i + 1 for i, t in enumerate(found) if t == request.offset_topic), len(found))
    limit = min(request.limit, 100) if request.limit > 0 else 100
    return _answer(call, channel, found[start : start + limit], len(found))


def get_forum_topics_by_id(call: Call, request: Any) -> Any:
    channel = _forum(call, request)
    known = [t for t in request.topics if t in channel.topics]
    answer = _answer(call, channel, known, len(known))
    answer.topics += [types.ForumTopicDeleted(id=t) for t in request.topics if t not in channel.topics]
    return answer


def read_discussion(call: Call, request: Any) -> Any:
    peer = readable_peer(call, request.peer)
    channel = call.state.channels.get(peer.id) if peer.kind == "channel" else None
    if channel is None:
        raise RpcFault(400, "PEER_ID_INVALID")
    if not channel.forum or request.msg_id not in channel.topics:
        raise RpcFault(400, "MSG_ID_INVALID" if not channel.forum else "TOPIC_ID_INVALID")
    messages = topic_messages(channel, request.msg_id)
    top = messages[-1].id if messages else 0
    target = top if request.read_max_id <= 0 else min(request.read_max_id, top)
    reads = call.state.accounts[call.me].read_state(peer).topic_reads
    reads[request.msg_id] = max(reads.get(request.msg_id, 0), target)
    return True


def get_dialog_filters(call: Call, request: Any) -> Any:
    me = call.me
    filters = [types.DialogFilterDefault()]
    filters += [filter_tl(call.state, me, record) for record in call.state.accounts[me].filters]
    return build(types.messages.DialogFilters, filters=filters, tags_enabled=False)


def _routes() -> tuple[Route, ...]:
    routes: list[Route] = []
    for namespace in (functions.messages, functions.channels):
        if hasattr(namespace, "GetForumTopicsRequest"):
            routes.append(Route(namespace.GetForumTopicsRequest, get_forum_topics))
        if hasattr(namespace, "GetForumTopicsByIDRequest"):
            routes.append(Route(namespace.GetForumTopicsByIDRequest, get_forum_topics_by_id))
    routes.append(Route(functions.messages.ReadDiscussionRequest, read_discussion))
    routes.append(Route(functions.messages.GetDialogFiltersRequest, get_dialog_filters))
    return tuple(routes)


ROUTES: tuple[Route, ...] = _routes()
