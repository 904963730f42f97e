"""Writing requests: send a message, pin and unpin, mark read, clear mentions.

Answers carry the exact pts the change got, so Telethon's own update feed stays in step
without asking for a difference (sandbox-seam.md §1, item 3).
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import Draft, RpcFault, post
from mctltg.sandbox.handlers_drafts import schedule_message
from mctltg.sandbox.marks import pin, read_history, read_mentions, unpin_all
from mctltg.sandbox.peers import resolve_channel, resolve_peer
from mctltg.sandbox.render import updates_tl
from mctltg.sandbox.state import PeerKey
from mctltg.sandbox.tl import build, to_datetime

__all__ = ["MAX_MESSAGE_LENGTH", "ROUTES"]

MAX_MESSAGE_LENGTH = 4096


def send_message(call: Call, request: Any) -> Any:
    if request.schedule_date is not None:
        return schedule_message(call, request)
    me = call.me
    peer = resolve_peer(call.state, me, request.peer)
    text = request.message
    if not text.strip():
        raise RpcFault(400, "MESSAGE_EMPTY")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise RpcFault(400, "MESSAGE_TOO_LONG")
    reply_to = (
        request.reply_to.reply_to_msg_id if isinstance(request.reply_to, types.InputReplyToMessage) else None
    )
    draft = Draft(
        sender=me, peer=peer, text=text, date=call.now, reply_to=reply_to, silent=bool(request.silent)
    )
    change = post(call.state, draft, exclude=call.endpoint)
    message = change.update.message
    if peer.kind == "user":
        return build(
            types.UpdateShortSentMessage,
            out=True,
            id=message.id,
            pts=change.pts,
            pts_count=change.pts_count,
            date=to_datetime(call.now),
            entities=message.entities,
        )
    sent = build(types.UpdateMessageID, id=message.id, random_id=request.random_id)
    return updates_tl(call.state, me, [sent, change.update], change.peers, call.now)


def update_pinned_message(call: Call, request: Any) -> Any:
    me = call.me
    peer = resolve_peer(call.state, me, request.peer)
    changes = pin(
        call.state,
        me,
        peer,
        request.id,
        call.now,
        unpin=bool(request.unpin),
        silent=bool(request.silent),
        pm_oneside=bool(request.pm_oneside),
        exclude=call.endpoint,
    )
    peers = [p for change in changes for p in change.peers]
    return updates_tl(call.state, me, [change.update for change in changes], peers, call.now)


def unpin_all_messages(call: Call, request: Any) -> Any:
    peer = resolve_peer(call.state, call.me, request.peer)
    pts, count = unpin_all(call.state, call.me, peer, call.now, exclude=call.endpoint)
    return build(types.messages.AffectedHistory, pts=pts, pts_count=count, offset=0)


def _not_a_channel(call: Call, input_peer: Any) -> PeerKey:
    peer = resolve_peer(call.state, call.me, input_peer)
    if peer.kind == "channel":
        raise RpcFault(400, "PEER_ID_INVALID")
    return peer


def read_history_messages(call: Call, request: Any) -> Any:
    peer = _not_a_channel(call, request.peer)
    change = read_history(call.state, call.me, peer, request.max_id, call.now, exclude=call.endpoint)
    if change is None:
        return build(types.messages.AffectedMessages, pts=call.state.accounts[call.me].pts, pts_count=0)
    return build(types.messages.AffectedMessages, pts=change.pts, pts_count=change.pts_count)


def read_history_channel(call: Call, request: Any) -> Any:
    peer = PeerKey("channel", resolve_channel(call.state, call.me, request.channel))
    if call.me not in call.state.channels[peer.id].members:
        raise RpcFault(400, "CHANNEL_PRIVATE")
    read_history(call.state, call.me, peer, request.max_id, call.now, exclude=call.endpoint)
    return True


def read_mentions_messages(call: Call, request: Any) -> Any:
    peer = resolve_peer(call.state, call.me, request.peer)
    change = read_mentions(call.state, call.me, peer, call.now, exclude=call.endpoint)
    if change is None:
        return build(
            types.messages.AffectedHistory, pts=call.state.accounts[call.me].pts, pts_count=0, offset=0
        )
    return build(types.messages.AffectedHistory, pts=change.pts, pts_count=change.pts_count, offset=0)


def accept_quietly(call: Call, request: Any) -> Any:
    """Typing notifications and online status: accepted, nothing to remember."""
    return True


ROUTES: tuple[Route, ...] = (
    Route(functions.messages.SendMessageRequest, send_message),
    Route(functions.messages.UpdatePinnedMessageRequest, update_pinned_message),
    Route(functions.messages.UnpinAllMessagesRequest, unpin_all_messages),
    Route(functions.messages.ReadHistoryRequest, read_history_messages),
    Route(functions.channels.ReadHistoryRequest, read_history_channel),
    Route(functions.messages.ReadMentionsRequest, read_mentions_messages),
    Route(functions.messages.SetTypingRequest, accept_quietly),
    Route(functions.account.UpdateStatusRequest, accept_quietly),
)
