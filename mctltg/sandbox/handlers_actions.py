"""Requests that act on existing messages: edit, delete, forward, react.

Each answers as Telegram does, with Telegram's own errors: editing someone else's
message is ``MESSAGE_AUTHOR_REQUIRED``, an edit that changes nothing
``MESSAGE_NOT_MODIFIED``, an unknown id ``MESSAGE_ID_INVALID``, an emoji the chat does
not allow ``REACTION_INVALID``, deleting others' messages in a group without being its
creator ``MESSAGE_DELETE_FORBIDDEN``. Changes reach every copy of a message (each box
of a private chat or basic group, or the one channel message) and are numbered and
pushed like any other change.
"""

from __future__ import annotations

from typing import Any, Final

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import Change, Draft, RpcFault, account_update, channel_update, post
from mctltg.sandbox.handlers_writing import MAX_MESSAGE_LENGTH
from mctltg.sandbox.peers import resolve_channel, resolve_peer
from mctltg.sandbox.render import message_peers, message_tl, peer_tl, reactions_tl, updates_tl
from mctltg.sandbox.state import PeerKey, StoredMessage, WorldState
from mctltg.sandbox.tl import build

__all__ = ["DEFAULT_REACTIONS", "ROUTES", "allowed_reactions"]

#: The reactions a chat allows when its admins chose none (a subset of Telegram's defaults).
DEFAULT_REACTIONS: Final = ("👍", "👎", "❤", "🔥", "🎉", "😁", "😢", "🤔", "👏", "🙏")


def allowed_reactions(state: WorldState, peer: PeerKey) -> tuple[str, ...]:
    """The emoji ``peer`` allows (private chats: the default set)."""
    chosen: tuple[str, ...] | None = None
    if peer.kind == "chat" and peer.id in state.groups:
        chosen = state.groups[peer.id].reactions
    elif peer.kind == "channel" and peer.id in state.channels:
        chosen = state.channels[peer.id].reactions
    return DEFAULT_REACTIONS if chosen is None else chosen


def _find(state: WorldState, me: int, peer: PeerKey, message_id: int) -> StoredMessage:
    if peer.kind == "channel":
        channel = state.channels.get(peer.id)
        if channel is None or me not in channel.members:
            raise RpcFault(400, "CHANNEL_PRIVATE")
        message = channel.messages.get(message_id)
    else:
        message = state.accounts[me].box.messages.get(message_id)
        if message is not None and message.peer != peer:
            message = None
    if message is None or message.action is not None:
        raise RpcFault(400, "MESSAGE_ID_INVALID")
    return message


def _copies(state: WorldState, me: int, message: StoredMessage) -> dict[int, StoredMessage]:
    """Every box copy of a box message, by owner (a channel message is its only copy)."""
    if message.peer.kind == "channel":
        return {me: message}
    owners = state.copies.get(message.logical, {me: message.id})
    return {owner: state.accounts[owner].box.messages[i] for owner, i in owners.items()}


def _changed(call: Call, message: StoredMessage, update: Any, make_box: Any) -> Any:
    """Number and push one change to every copy; the caller's own update comes back."""
    state, me = call.state, call.me
    if message.peer.kind == "channel":

        def make(viewer: int, pts: int, count: int) -> Any:
            return update(viewer, message, pts, count)

        own = channel_update(
            state, message.peer.id, make, message_peers(message), call.now, exclude=call.endpoint
        )
        return own(me)
    mine: Change | None = None
    for owner, copy in _copies(state, me, message).items():

        def make_one(pts: int, count: int, owner: int = owner, copy: StoredMessage = copy) -> Any:
            return make_box(owner, copy, pts, count)

        change = account_update(
            state,
            owner,
            make_one,
            message_peers(copy),
            call.now,
            exclude=call.endpoint if owner == me else None,
        )
        if owner == me:
            mine = change
    assert mine is not None
    return mine


def edit_message(call: Call, request: Any) -> Any:
    state, me = call.state, call.me
    peer = resolve_peer(state, me, request.peer)
    message = _find(state, me, peer, request.id)
    if message.sender != me:
        raise RpcFault(403, "MESSAGE_AUTHOR_REQUIRED")
    text = request.message
    if text is None or not text.strip():
        raise RpcFault(400, "MESSAGE_EMPTY")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise RpcFault(400, "MESSAGE_TOO_LONG")
    if text == message.text:
        raise RpcFault(400, "MESSAGE_NOT_MODIFIED")
    for copy in _copies(state, me, message).values():
        copy.text = text
        copy.edit_date = call.now

    def in_channel(viewer: int, msg: StoredMessage, pts: int, count: int) -> Any:
        return build(
            types.UpdateEditChannelMessage, message=message_tl(state, viewer, msg), pts=pts, pts_count=count
        )

    def in_box(owner: int, copy: StoredMessage, pts: int, count: int) -> Any:
        return build(
            types.UpdateEditMessage, message=message_tl(state, owner, copy), pts=pts, pts_count=count
        )

    change = _changed(call, message, in_channel, in_box)
    return updates_tl(state, me, [change.update], change.peers, call.now)


def delete_messages(call: Call, request: Any) -> Any:
    """``messages.deleteMessages``: ids of the caller's box; unknown ids are ignored, as in Telegram."""
    state, me = call.state, call.me
    box = state.accounts[me].box
    found = [box.messages[i] for i in dict.fromkeys(request.id) if i in box.messages]
    for message in found:
        if message.peer.kind == "chat" and request.revoke and message.sender != me:
            group = state.groups.get(message.peer.id)
            if group is None or group.creator != me:
                raise RpcFault(403, "MESSAGE_DELETE_FORBIDDEN")
    by_owner: dict[int, list[int]] = {}
    for message in found:
        copies = _copies(state, me, message) if request.revoke else {me: message}
        for owner, copy in copies.items():
            _drop_from_box(state, owner, copy)
            by_owner.setdefault(owner, []).append(copy.id)
    if not by_owner.get(me):
        return build(types.messages.AffectedMessages, pts=state.accounts[me].pts, pts_count=0)
    own: Change | None = None
    for owner, ids in by_owner.items():

        def make(pts: int, count: int, ids: list[int] = ids) -> Any:
            return build(types.UpdateDeleteMessages, messages=ids, pts=pts, pts_count=count)

        change = account_update(
            state,
            owner,
            make,
            (),
            call.now,
            exclude=call.endpoint if owner == me else None,
            pts_count=len(ids),
        )
        if owner == me:
            own = change
    assert own is not None
    return build(types.messages.AffectedMessages, pts=own.pts, pts_count=own.pts_count)


def _drop_from_box(state: WorldState, owner: int, copy: StoredMessage) -> None:
    box = state.accounts[owner].box
    box.messages.pop(copy.id, None)
    ids = box.by_peer.get(copy.peer)
    if ids is not None and copy.id in ids:
        ids.remove(copy.id)


def delete_channel_messages(call: Call, request: Any) -> Any:
    state, me = call.state, call.me
    peer = PeerKey("channel", resolve_channel(state, me, request.channel))
    channel = state.channels[peer.id]
    if me not in channel.members:
        raise RpcFault(400, "CHANNEL_PRIVATE")
    found = [channel.messages[i] for i in dict.fromkeys(request.id) if i in channel.messages]
    if any(m.sender != me for m in found) and channel.creator != me:
        raise RpcFault(403, "MESSAGE_DELETE_FORBIDDEN")
    ids = [m.id for m in found]
    for message_id in ids:
        del channel.messages[message_id]
    if not ids:
        return build(types.messages.AffectedMessages, pts=channel.pts, pts_count=0)

    def make(viewer: int, pts: int, count: int) -> Any:
        return build(
            types.UpdateDeleteChannelMessages, channel_id=peer.id, messages=ids, pts=pts, pts_count=count
        )

    own = channel_update(state, peer.id, make, (peer,), call.now, exclude=call.endpoint, pts_count=len(ids))(
        me
    )
    return build(types.messages.AffectedMessages, pts=own.pts, pts_count=own.pts_count)


def forward_messages(call: Call, request: Any) -> Any:
    state, me = call.state, call.me
    source = resolve_peer(state, me, request.from_peer)
    target = resolve_peer(state, me, request.to_peer)
    ids = list(request.id)
    random_ids = list(request.random_id or [])
    if not ids:
        raise RpcFault(400, "MESSAGE_IDS_EMPTY")
    if len(random_ids) != len(ids):
        raise RpcFault(400, "RANDOM_ID_INVALID")
    originals = [_find(state, me, source, message_id) for message_id in ids]
    updates: list[Any] = []
    peers: list[PeerKey] = []
    for original, random_id in zip(originals, random_ids, strict=True):
        author = original.fwd_from if original.fwd_date is not None else original.sender
        draft = Draft(
            sender=me,
            peer=target,
            text=original.text,
            date=call.now,
            media=original.media,
            silent=bool(request.silent),
            fwd_from=None if request.drop_author else author,
            fwd_date=None if request.drop_author else (original.fwd_date or original.date),
        )
        change = post(state, draft, exclude=call.endpoint)
        updates += [
            build(types.UpdateMessageID, id=change.update.message.id, random_id=random_id),
            change.update,
        ]
        peers += change.peers
    return updates_tl(state, me, updates, peers, call.now)


def send_reaction(call: Call, request: Any) -> Any:
    state, me = call.state, call.me
    peer = resolve_peer(state, me, request.peer)
    message = _find(state, me, peer, request.msg_id)
    chosen = [r for r in (request.reaction or []) if not isinstance(r, types.ReactionEmpty)]
    if len(chosen) > 1:
        raise RpcFault(400, "REACTIONS_TOO_MANY")
    emoji: str | None = None
    if chosen:
        reaction = chosen[0]
        if not isinstance(reaction, types.ReactionEmoji) or reaction.emoticon not in allowed_reactions(
            state, peer
        ):
            raise RpcFault(400, "REACTION_INVALID")
        emoji = reaction.emoticon
    copies = _copies(state, me, message)
    for copy in copies.values():
        if emoji is None:
            copy.reactions.pop(me, None)
        else:
            copy.reactions[me] = emoji
    own = copies[me]
    update = build(
        types.UpdateMessageReactions,
        peer=peer_tl(own.peer),
        msg_id=own.id,
        reactions=reactions_tl(me, own) or build(types.MessageReactions, results=[]),
    )
    return updates_tl(state, me, [update], (own.peer,), call.now)


ROUTES: tuple[Route, ...] = (
    Route(functions.messages.EditMessageRequest, edit_message),
    Route(functions.messages.DeleteMessagesRequest, delete_messages),
    Route(functions.channels.DeleteMessagesRequest, delete_channel_messages),
    Route(functions.messages.ForwardMessagesRequest, forward_messages),
    Route(functions.messages.SendReactionRequest, send_reaction),
)
