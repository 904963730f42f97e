"""Drafts and scheduled messages: each account's own draft per chat, and its scheduled queue.

Answered the way real Telegram answers them: ``messages.saveDraft`` returns ``true``
(an empty text clears the draft), ``messages.getAllDrafts`` returns an ``Updates`` whose
updates are ``updateDraftMessage`` (Telethon's ``get_drafts`` reads exactly that), a
``messages.sendMessage`` with ``schedule_date`` queues the message and answers
``updateMessageID`` + ``updateNewScheduledMessage``, ``messages.getScheduledHistory``
lists the queue newest first and ``messages.deleteScheduledMessages`` answers
``updateDeleteScheduledMessages``. The sandbox has no clock that fires: a scheduled
message stays queued until it is deleted.
"""

from __future__ import annotations

from typing import Any, Final

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.peers import resolve_peer
from mctltg.sandbox.render import entities, message_tl, peer_tl, updates_tl
from mctltg.sandbox.state import DraftRecord, PeerKey, ScheduledQueue, StoredMessage, WorldState
from mctltg.sandbox.tl import build, to_datetime

__all__ = ["MAX_DRAFT_LENGTH", "MAX_SCHEDULED", "ROUTES", "SCHEDULE_HORIZON", "schedule_message"]

MAX_DRAFT_LENGTH: Final = 4096
#: Telegram keeps at most 100 scheduled messages per chat (SCHEDULE_TOO_MUCH beyond).
MAX_SCHEDULED: Final = 100
#: The latest a message may be scheduled: 365 days ahead (SCHEDULE_DATE_TOO_LATE beyond).
SCHEDULE_HORIZON: Final = 365 * 86400.0


def _writable(state: WorldState, me: int, peer: PeerKey) -> None:
    """The checks a send makes before anything is stored (drafts and the queue alike)."""
    if peer.kind == "chat":
        group = state.groups.get(peer.id)
        if group is None:
            raise RpcFault(400, "CHAT_ID_INVALID")
        if me not in group.members:
            raise RpcFault(403, "CHAT_WRITE_FORBIDDEN")
    elif peer.kind == "channel":
        channel = state.channels[peer.id]
        if me not in channel.members:
            raise RpcFault(403, "CHAT_WRITE_FORBIDDEN")
        if not channel.megagroup and me != channel.creator:
            raise RpcFault(403, "CHAT_ADMIN_REQUIRED")


def _reply(reply_to: Any) -> tuple[int | None, int]:
    """The replied-to message id and forum topic id of an ``InputReplyTo``."""
    if isinstance(reply_to, types.InputReplyToMessage):
        return reply_to.reply_to_msg_id or None, reply_to.top_msg_id or 0
    return None, 0


def save_draft(call: Call, request: Any) -> Any:
    me = call.me
    peer = resolve_peer(call.state, me, request.peer)
    _writable(call.state, me, peer)
    reply_to, topic = _reply(request.reply_to)
    key = (me, peer, topic)
    if len(request.message) > MAX_DRAFT_LENGTH:
        raise RpcFault(400, "MESSAGE_TOO_LONG")
    if not request.message:
        call.state.drafts.pop(key, None)
    else:
        call.state.drafts[key] = DraftRecord(text=request.message, date=call.now, reply_to=reply_to)
    return True


def _draft_tl(record: DraftRecord) -> Any:
    reply = (
        None if record.reply_to is None else build(types.InputReplyToMessage, reply_to_msg_id=record.reply_to)
    )
    return build(types.DraftMessage, message=record.text, date=to_datetime(record.date), reply_to=reply)


def get_all_drafts(call: Call, request: Any) -> Any:
    me = call.me
    mine = [
        (peer, topic, record) for (owner, peer, topic), record in call.state.drafts.items() if owner == me
    ]
    mine.sort(key=lambda item: -item[2].date)
    updates = [
        build(types.UpdateDraftMessage, peer=peer_tl(peer), draft=_draft_tl(record), top_msg_id=topic or None)
        for peer, topic, record in mine
    ]
    return updates_tl(call.state, me, updates, [peer for peer, _, _ in mine], call.now)


def _scheduled_tl(state: WorldState, viewer: int, message: StoredMessage) -> Any:
    rendered = message_tl(state, viewer, message)
    rendered.from_scheduled = True
    return rendered


def schedule_message(call: Call, request: Any) -> Any:
    """``messages.sendMessage`` with ``schedule_date``: queue it, never deliver it now."""
    me = call.me
    peer = resolve_peer(call.state, me, request.peer)
    text = request.message
    if not text.strip():
        raise RpcFault(400, "MESSAGE_EMPTY")
    if len(text) > MAX_DRAFT_LENGTH:
        raise RpcFault(400, "MESSAGE_TOO_LONG")
    _writable(call.state, me, peer)
    when = request.schedule_date.timestamp()
    if when <= call.now:
        raise RpcFault(400, "SCHEDULE_DATE_INVALID")
    if when > call.now + SCHEDULE_HORIZON:
        raise RpcFault(400, "SCHEDULE_DATE_TOO_LATE")
    queue = call.state.scheduled.setdefault((me, peer), ScheduledQueue())
    if len(queue.messages) >= MAX_SCHEDULED:
        raise RpcFault(400, "SCHEDULE_TOO_MUCH")
    reply_to, _ = _reply(request.reply_to)
    broadcast = peer.kind == "channel" and not call.state.channels[peer.id].megagroup
    message = StoredMessage(
        id=queue.next_id,
        peer=peer,
        sender=None if broadcast else me,
        text=text,
        date=when,
        out=True,
        reply_to=reply_to,
        silent=bool(request.silent),
        post=broadcast,
    )
    queue.next_id += 1
    queue.messages[message.id] = message
    updates = [
        build(types.UpdateMessageID, id=message.id, random_id=request.random_id),
        build(types.UpdateNewScheduledMessage, message=_scheduled_tl(call.state, me, message)),
    ]
    return updates_tl(call.state, me, updates, [peer], call.now)


def get_scheduled_history(call: Call, request: Any) -> Any:
    me = call.me
    peer = resolve_peer(call.state, me, request.peer)
    queue = call.state.scheduled.get((me, peer))
    found = (
        [] if queue is None else sorted(queue.messages.values(), key=lambda m: (m.date, m.id), reverse=True)
    )
    users, chats = entities(call.state, me, [PeerKey("user", me), peer])
    return build(
        types.messages.Messages,
        messages=[_scheduled_tl(call.state, me, m) for m in found],
        chats=chats,
        users=users,
        topics=[],
    )


def delete_scheduled_messages(call: Call, request: Any) -> Any:
    me = call.me
    peer = resolve_peer(call.state, me, request.peer)
    queue = call.state.scheduled.get((me, peer))
    deleted = [i for i in request.id if queue is not None and queue.messages.pop(i, None) is not None]
    update = build(types.UpdateDeleteScheduledMessages, peer=peer_tl(peer), messages=deleted)
    return updates_tl(call.state, me, [update], [peer], call.now)


ROUTES: tuple[Route, ...] = (
    Route(functions.messages.SaveDraftRequest, save_draft),
    Route(functions.messages.GetAllDraftsRequest, get_all_drafts),
    Route(functions.messages.GetScheduledHistoryRequest, get_scheduled_history),
    Route(functions.messages.DeleteScheduledMessagesRequest, delete_scheduled_messages),
)
