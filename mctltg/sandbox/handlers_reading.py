"""Reading requests: dialogs, history, messages by id, unread mentions.

Message ids are the caller's own: ``messages.getMessages`` looks them up across all the
caller's private chats and basic groups at once (its box), ``channels.getMessages`` in one
channel. Paging follows :func:`mctltg.sandbox.views.window`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.forums import ARCHIVE_FOLDER, in_folder, page_topics
from mctltg.sandbox.handlers_session import state_tl
from mctltg.sandbox.peers import resolve_channel, resolve_peer
from mctltg.sandbox.render import entities, message_peers, message_tl
from mctltg.sandbox.state import PeerKey, StoredMessage
from mctltg.sandbox.tl import build
from mctltg.sandbox.views import Window, can_read, dialog_tl, messages_in, ordered_dialogs, window

if TYPE_CHECKING:
    import datetime

__all__ = ["ROUTES", "messages_answer", "readable_peer", "timestamp"]


def timestamp(value: datetime.datetime | None) -> float | None:
    """A request date as seconds; ``None`` when absent (Telethon reads 0 as the epoch)."""
    if value is None or value.timestamp() <= 0:
        return None
    return value.timestamp()


def readable_peer(call: Call, input_peer: Any) -> PeerKey:
    """Resolve a peer the caller may read.

    Raises:
        RpcFault: the peer is invalid, or a private channel the caller is not in.
    """
    peer = resolve_peer(call.state, call.me, input_peer)
    if not can_read(call.state, call.me, peer):
        raise RpcFault(400, "CHANNEL_PRIVATE")
    return peer


def messages_answer(call: Call, peer: PeerKey | None, page: Window) -> Any:
    """``Messages``/``MessagesSlice`` (or ``ChannelMessages`` for a channel) for one page."""
    me = call.me
    peers: list[PeerKey] = [peer] if peer else []
    for message in page.items:
        peers.extend(message_peers(message))
    users, chats = entities(call.state, me, peers)
    rendered = [message_tl(call.state, me, m) for m in page.items]
    if peer is not None and peer.kind == "channel":
        return build(
            types.messages.ChannelMessages,
            pts=call.state.channels[peer.id].pts,
            count=page.count,
            messages=rendered,
            topics=page_topics(call.state, me, peer, page.items),
            chats=chats,
            users=users,
        )
    if page.complete:
        return build(types.messages.Messages, messages=rendered, topics=[], chats=chats, users=users)
    return build(
        types.messages.MessagesSlice, count=page.count, messages=rendered, topics=[], chats=chats, users=users
    )


def get_dialogs(call: Call, request: Any) -> Any:
    me = call.me
    folder = ARCHIVE_FOLDER if request.folder_id == ARCHIVE_FOLDER else 0
    rows = [row for row in ordered_dialogs(call.state, me) if in_folder(call.state, me, row[0], folder)]
    start = 0
    anchor = None
    if not isinstance(request.offset_peer, types.InputPeerEmpty):
        anchor = resolve_peer(call.state, me, request.offset_peer)
    positions = [i for i, (peer, _) in enumerate(rows) if peer == anchor]
    if positions:
        start = positions[0] + 1
    elif timestamp(request.offset_date) is not None:
        limit_date = request.offset_date.timestamp()

        def older(row: tuple[PeerKey, list[StoredMessage]]) -> bool:
            top = row[1][-1] if row[1] else None
            return top is None or (top.date, top.id) < (limit_date, request.offset_id or 2**31)

        start = next((i for i, row in enumerate(rows) if older(row)), len(rows))
    limit = min(request.limit, 100) if request.limit > 0 else 100
    page = rows[start : start + limit]
    dialogs = [dialog_tl(call.state, me, peer, messages) for peer, messages in page]
    tops = [messages[-1] for _, messages in page if messages]
    peers = [peer for peer, _ in page] + [p for m in tops for p in message_peers(m)]
    users, chats = entities(call.state, me, peers)
    rendered = [message_tl(call.state, me, m) for m in tops]
    if start == 0 and len(page) == len(rows):
        return build(types.messages.Dialogs, dialogs=dialogs, messages=rendered, chats=chats, users=users)
    return build(
        types.messages.DialogsSlice,
        count=len(rows),
        dialogs=dialogs,
        messages=rendered,
        chats=chats,
        users=users,
    )


def get_peer_dialogs(call: Call, request: Any) -> Any:
    me = call.me
    dialogs: list[Any] = []
    tops: list[StoredMessage] = []
    peers: list[PeerKey] = []
    for input_peer in request.peers:
        peer = readable_peer(call, input_peer)
        messages = messages_in(call.state, me, peer)
        dialogs.append(dialog_tl(call.state, me, peer, messages))
        peers.append(peer)
        if messages:
            tops.append(messages[-1])
            peers.extend(message_peers(messages[-1]))
    users, chats = entities(call.state, me, peers)
    return build(
        types.messages.PeerDialogs,
        dialogs=dialogs,
        messages=[message_tl(call.state, me, m) for m in tops],
        chats=chats,
        users=users,
        state=state_tl(call),
    )


def get_history(call: Call, request: Any) -> Any:
    peer = readable_peer(call, request.peer)
    newest_first = messages_in(call.state, call.me, peer)[::-1]
    page = window(
        newest_first,
        offset_id=request.offset_id,
        offset_date=timestamp(request.offset_date),
        add_offset=request.add_offset,
        limit=request.limit,
        max_id=request.max_id,
        min_id=request.min_id,
    )
    return messages_answer(call, peer, page)


def _by_ids(call: Call, store: dict[int, StoredMessage], ids: list[Any]) -> list[StoredMessage | int]:
    found: list[StoredMessage | int] = []
    for item in ids:
        message = (
            store.get(item.id) if isinstance(item, types.InputMessageID | types.InputMessageReplyTo) else None
        )
        if isinstance(item, types.InputMessageReplyTo) and message is not None:
            message = store.get(message.reply_to or 0)
        found.append(message if message is not None else int(getattr(item, "id", 0)))
    return found


def _found_answer(call: Call, found: list[StoredMessage | int], channel: int | None) -> Any:
    me = call.me
    peers: list[PeerKey] = [PeerKey("channel", channel)] if channel else []
    rendered: list[Any] = []
    for item in found:
        if isinstance(item, int):
            rendered.append(
                build(types.MessageEmpty, id=item, peer_id=types.PeerChannel(channel) if channel else None)
            )
        else:
            peers.extend(message_peers(item))
            rendered.append(message_tl(call.state, me, item))
    users, chats = entities(call.state, me, peers)
    if channel is not None:
        return build(
            types.messages.ChannelMessages,
            pts=call.state.channels[channel].pts,
            count=len(rendered),
            messages=rendered,
            topics=[],
            chats=chats,
            users=users,
        )
    return build(types.messages.Messages, messages=rendered, topics=[], chats=chats, users=users)


def get_messages(call: Call, request: Any) -> Any:
    box = call.state.accounts[call.me].box
    return _found_answer(call, _by_ids(call, box.messages, request.id), None)


def get_channel_messages(call: Call, request: Any) -> Any:
    channel_id = resolve_channel(call.state, call.me, request.channel)
    if not can_read(call.state, call.me, PeerKey("channel", channel_id)):
        raise RpcFault(400, "CHANNEL_PRIVATE")
    store = call.state.channels[channel_id].messages
    return _found_answer(call, _by_ids(call, store, request.id), channel_id)


def get_unread_mentions(call: Call, request: Any) -> Any:
    peer = readable_peer(call, request.peer)
    read_state = call.state.accounts[call.me].dialogs.get(peer)
    unread = read_state.unread_mentions if read_state else set()
    newest_first = [m for m in messages_in(call.state, call.me, peer)[::-1] if m.id in unread]
    page = window(
        newest_first,
        offset_id=request.offset_id,
        add_offset=request.add_offset,
        limit=request.limit,
        max_id=request.max_id,
        min_id=request.min_id,
    )
    return messages_answer(call, peer, page)


ROUTES: tuple[Route, ...] = (
    Route(functions.messages.GetDialogsRequest, get_dialogs),
    Route(functions.messages.GetPeerDialogsRequest, get_peer_dialogs),
    Route(functions.messages.GetHistoryRequest, get_history),
    Route(functions.messages.GetMessagesRequest, get_messages),
    Route(functions.channels.GetMessagesRequest, get_channel_messages),
    Route(functions.messages.GetUnreadMentionsRequest, get_unread_mentions),
)
