"""Search in one chat (``messages.search``) and across all chats (``messages.searchGlobal``).

Matching: ``q`` is a case-insensitive substring of the text; ``min_date`` and ``max_date``
are exclusive bounds (Telegram: "bigger than" / "smaller than"); service messages never
match. Filters the sandbox cannot hold content for (polls, geo, GIFs …) match nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.forums import in_topic
from mctltg.sandbox.handlers_reading import messages_answer, readable_peer, timestamp
from mctltg.sandbox.peers import resolve_peer, resolve_user
from mctltg.sandbox.render import entities, message_peers, message_tl
from mctltg.sandbox.state import ChannelRecord, PeerKey, StoredMessage
from mctltg.sandbox.tl import build
from mctltg.sandbox.views import messages_in, ordered_dialogs, window

__all__ = ["ROUTES"]

Predicate = Callable[[StoredMessage], bool]


def _kind(message: StoredMessage) -> str | None:
    return message.media.kind if message.media else None


def _filter(call: Call, peer_filter: Any) -> Predicate:
    me = call.me
    by_kind: dict[type[Any], tuple[str, ...]] = {
        types.InputMessagesFilterPhotos: ("photo",),
        types.InputMessagesFilterVideo: ("video",),
        types.InputMessagesFilterPhotoVideo: ("photo", "video"),
        types.InputMessagesFilterDocument: ("document",),
        types.InputMessagesFilterMusic: ("audio",),
        types.InputMessagesFilterVoice: ("voice",),
        types.InputMessagesFilterRoundVoice: ("voice",),
    }
    if isinstance(peer_filter, types.InputMessagesFilterEmpty):
        return lambda m: True
    if isinstance(peer_filter, types.InputMessagesFilterPinned):
        return lambda m: m.pinned
    if isinstance(peer_filter, types.InputMessagesFilterUrl):
        return lambda m: "http://" in m.text or "https://" in m.text
    if isinstance(peer_filter, types.InputMessagesFilterMyMentions):
        return lambda m: m.id in call.state.accounts[me].read_state(m.peer).mentions
    kinds = by_kind.get(type(peer_filter), ())
    return lambda m: _kind(m) in kinds


def _matcher(call: Call, request: Any, sender: int | None) -> Predicate:
    needle = (request.q or "").casefold()
    after = timestamp(request.min_date)
    before = timestamp(request.max_date)
    by_filter = _filter(call, request.filter)

    def matches(message: StoredMessage) -> bool:
        return (
            message.action is None
            and needle in message.text.casefold()
            and (after is None or message.date > after)
            and (before is None or message.date < before)
            and (sender is None or message.sender == sender)
            and by_filter(message)
        )

    return matches


def search(call: Call, request: Any) -> Any:
    peer = readable_peer(call, request.peer)
    sender = None
    if getattr(request, "from_id", None) is not None:
        sender = resolve_user(call.state, call.me, request.from_id)
        if sender is None:
            raise RpcFault(400, "PEER_ID_INVALID")
    matches = _matcher(call, request, sender)
    newest_first = [m for m in messages_in(call.state, call.me, peer)[::-1] if matches(m)]
    if getattr(request, "top_msg_id", None):
        forum = _topic_forum(call, peer, request)
        newest_first = [m for m in newest_first if in_topic(forum, m, request.top_msg_id)]
    page = window(
        newest_first,
        offset_id=request.offset_id,
        add_offset=request.add_offset,
        limit=request.limit,
        max_id=request.max_id,
        min_id=request.min_id,
    )
    return messages_answer(call, peer, page)


def _topic_forum(call: Call, peer: PeerKey, request: Any) -> ChannelRecord:
    """The forum whose topic ``top_msg_id`` names.

    Raises:
        RpcFault: 400 ``TOPIC_ID_INVALID`` when the chat has no such topic.
    """
    channel = call.state.channels.get(peer.id) if peer.kind == "channel" else None
    if channel is None or not channel.forum or request.top_msg_id not in channel.topics:
        raise RpcFault(400, "TOPIC_ID_INVALID")
    return channel


def _kind_allowed(call: Call, request: Any, peer: PeerKey) -> bool:
    if peer.kind == "channel":
        megagroup = call.state.channels[peer.id].megagroup
        return not (
            request.users_only
            or (request.groups_only and not megagroup)
            or (request.broadcasts_only and megagroup)
        )
    if peer.kind == "chat":
        return not (request.users_only or request.broadcasts_only)
    return not (request.groups_only or request.broadcasts_only)


def search_global(call: Call, request: Any) -> Any:
    me = call.me
    matches = _matcher(call, request, None)
    found = [
        m
        for peer, messages in ordered_dialogs(call.state, me)
        if _kind_allowed(call, request, peer)
        for m in messages
        if matches(m)
    ]
    found.sort(key=lambda m: (m.date, m.logical), reverse=True)
    start = 0
    if request.offset_rate or request.offset_id:
        anchor = None
        if not isinstance(request.offset_peer, types.InputPeerEmpty):
            anchor = resolve_peer(call.state, me, request.offset_peer)
        exact = [i for i, m in enumerate(found) if m.peer == anchor and m.id == request.offset_id]
        if exact:
            start = exact[0] + 1
        elif request.offset_rate:
            start = next((i for i, m in enumerate(found) if m.date < request.offset_rate), len(found))
    limit = min(request.limit, 100) if request.limit > 0 else 100
    page = found[start : start + limit]
    users, chats = entities(call.state, me, [p for m in page for p in message_peers(m)])
    rendered = [message_tl(call.state, me, m) for m in page]
    if start == 0 and len(page) == len(found):
        return build(types.messages.Messages, messages=rendered, topics=[], chats=chats, users=users)
    return build(
        types.messages.MessagesSlice,
        count=len(found),
        messages=rendered,
        topics=[],
        chats=chats,
        users=users,
        next_rate=int(page[-1].date) if page else None,
    )


ROUTES: tuple[Route, ...] = (
    Route(functions.messages.SearchRequest, search),
    Route(functions.messages.SearchGlobalRequest, search_global),
)
