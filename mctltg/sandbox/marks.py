"""Changes to message *state* rather than new messages: read marks, mentions, pins, mutes.

Reading a private chat or basic group moves the reader's inbox mark and the senders'
outbox marks (each in their own ids); reading a channel moves only the reader's mark.
Pinning marks every copy (or only the pinner's with ``pm_oneside``) and posts the
"pinned a message" service message, as Telegram does; unpinning posts nothing.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import types

from mctltg.sandbox.engine import Change, Draft, RpcFault, account_update, channel_update, post, push
from mctltg.sandbox.render import MUTED_FOREVER, notify_settings_tl, peer_tl
from mctltg.sandbox.state import Endpoint, PeerKey, StoredMessage, WorldState
from mctltg.sandbox.tl import build
from mctltg.sandbox.views import messages_in, unread_count

__all__ = ["mute", "pin", "read_history", "read_mentions", "unpin_all"]


def read_history(
    state: WorldState,
    reader: int,
    peer: PeerKey,
    max_id: int,
    date: float,
    *,
    exclude: Endpoint | None = None,
) -> Change | None:
    """Mark incoming messages up to ``max_id`` (0: everything) as read.

    Returns the reader's account-level change, or ``None`` for channels or when nothing
    changed (then the caller answers with the current pts and a count of 0).
    """
    messages = messages_in(state, reader, peer)
    top = messages[-1].id if messages else 0
    target = top if max_id <= 0 else min(max_id, top)
    read_state = state.accounts[reader].read_state(peer)
    old = read_state.read_inbox_max_id
    if target <= old:
        return None
    read_state.read_inbox_max_id = target
    still = unread_count(state, reader, peer, messages)
    newly_read = [m for m in messages if old < m.id <= target and m.sender not in (None, reader)]
    if peer.kind == "channel":
        inbox = build(
            types.UpdateReadChannelInbox,
            channel_id=peer.id,
            max_id=target,
            still_unread_count=still,
            pts=state.channels[peer.id].pts,
        )
        push(state, reader, [inbox], (peer,), date, exclude=exclude)
        for sender in {m.sender for m in newly_read if m.sender is not None}:
            push(
                state,
                sender,
                [build(types.UpdateReadChannelOutbox, channel_id=peer.id, max_id=target)],
                (peer,),
                date,
            )
        return None

    def make(pts: int, count: int) -> Any:
        return build(
            types.UpdateReadHistoryInbox,
            peer=peer_tl(peer),
            max_id=target,
            still_unread_count=still,
            pts=pts,
            pts_count=count,
        )

    change = account_update(state, reader, make, (peer,), date, exclude=exclude)
    _advance_outboxes(state, reader, peer, newly_read, date)
    return change


def _advance_outboxes(
    state: WorldState, reader: int, peer: PeerKey, newly_read: list[StoredMessage], date: float
) -> None:
    best: dict[int, int] = {}
    for message in newly_read:
        assert message.sender is not None  # filtered by the caller
        theirs = state.copies.get(message.logical, {}).get(message.sender)
        if theirs:
            best[message.sender] = max(best.get(message.sender, 0), theirs)
    for sender, their_max in best.items():
        their_peer = PeerKey("user", reader) if peer.kind == "user" else peer
        their_state = state.accounts[sender].read_state(their_peer)
        if their_max <= their_state.read_outbox_max_id:
            continue
        their_state.read_outbox_max_id = their_max

        def make(pts: int, count: int, their_peer: PeerKey = their_peer, their_max: int = their_max) -> Any:
            return build(
                types.UpdateReadHistoryOutbox,
                peer=peer_tl(their_peer),
                max_id=their_max,
                pts=pts,
                pts_count=count,
            )

        account_update(state, sender, make, (their_peer,), date)


def read_mentions(
    state: WorldState, reader: int, peer: PeerKey, date: float, *, exclude: Endpoint | None = None
) -> Change | None:
    """Clear the unread mentions of one dialog."""
    read_state = state.accounts[reader].read_state(peer)
    ids = sorted(read_state.unread_mentions)
    if not ids:
        return None
    read_state.unread_mentions.clear()
    if peer.kind == "channel":
        update = build(types.UpdateChannelReadMessagesContents, channel_id=peer.id, messages=ids)
        push(state, reader, [update], (peer,), date, exclude=exclude)
        return None

    def make(pts: int, count: int) -> Any:
        return build(types.UpdateReadMessagesContents, messages=ids, pts=pts, pts_count=count)

    return account_update(state, reader, make, (peer,), date, exclude=exclude)


def pin(
    state: WorldState,
    actor: int,
    peer: PeerKey,
    message_id: int,
    date: float,
    *,
    unpin: bool = False,
    silent: bool = False,
    pm_oneside: bool = False,
    exclude: Endpoint | None = None,
) -> list[Change]:
    """Pin or unpin one message; returns the changes as ``actor`` sees them, in order.

    Raises:
        RpcFault: the message is not in that chat, or the actor may not pin there.
    """
    if peer.kind == "channel":
        return _pin_in_channel(
            state, actor, peer, message_id, date, unpin=unpin, silent=silent, exclude=exclude
        )
    box = state.accounts[actor].box
    message = box.messages.get(message_id)
    if message is None or message.peer != peer:
        raise RpcFault(400, "MESSAGE_ID_INVALID")
    if message.pinned != unpin:
        return []
    saved = peer == PeerKey("user", actor)
    owners = {actor: message_id} if (saved or pm_oneside) else dict(state.copies.get(message.logical, {}))
    changes: list[Change] = []
    for owner, box_id in owners.items():
        copy = state.accounts[owner].box.messages[box_id]
        copy.pinned = not unpin

        def make(pts: int, count: int, copy: StoredMessage = copy) -> Any:
            return build(
                types.UpdatePinnedMessages,
                pinned=not unpin,
                peer=peer_tl(copy.peer),
                messages=[copy.id],
                pts=pts,
                pts_count=count,
            )

        change = account_update(
            state, owner, make, (copy.peer,), date, exclude=exclude if owner == actor else None
        )
        if owner == actor:
            changes.append(change)
    if not unpin and not saved and not pm_oneside:
        draft = Draft(sender=actor, peer=peer, date=date, reply_to=message_id, action="pin", silent=silent)
        changes.append(post(state, draft, exclude=exclude))
    return changes


def _pin_in_channel(
    state: WorldState,
    actor: int,
    peer: PeerKey,
    message_id: int,
    date: float,
    *,
    unpin: bool,
    silent: bool,
    exclude: Endpoint | None,
) -> list[Change]:
    channel = state.channels[peer.id]
    if actor not in channel.members or (not channel.megagroup and actor != channel.creator):
        raise RpcFault(403, "CHAT_ADMIN_REQUIRED")
    message = channel.messages.get(message_id)
    if message is None:
        raise RpcFault(400, "MESSAGE_ID_INVALID")
    if message.pinned != unpin:
        return []
    message.pinned = not unpin

    def make(_viewer: int, pts: int, count: int) -> Any:
        return build(
            types.UpdatePinnedChannelMessages,
            pinned=not unpin,
            channel_id=peer.id,
            messages=[message_id],
            pts=pts,
            pts_count=count,
        )

    changes = [channel_update(state, peer.id, make, (peer,), date, exclude=exclude)(actor)]
    if not unpin:
        draft = Draft(sender=actor, peer=peer, date=date, reply_to=message_id, action="pin", silent=silent)
        changes.append(post(state, draft, exclude=exclude))
    return changes


def unpin_all(
    state: WorldState, actor: int, peer: PeerKey, date: float, *, exclude: Endpoint | None = None
) -> tuple[int, int]:
    """Unpin every pinned message of a chat; returns the ``(pts, pts_count)`` to answer with.

    For channels the pin updates are channel updates, so every client (the caller's too)
    receives them as pushes, and the answer carries the unchanged account pts.
    """
    pinned = [m.id for m in messages_in(state, actor, peer) if m.pinned]
    if peer.kind == "channel":
        for message_id in pinned:
            pin(state, actor, peer, message_id, date, unpin=True)
        return state.accounts[actor].pts, 0
    count = 0
    for message_id in pinned:
        count += len(pin(state, actor, peer, message_id, date, unpin=True, exclude=exclude))
    return state.accounts[actor].pts, count


def mute(state: WorldState, user_id: int, peer: PeerKey, muted: bool, date: float) -> None:
    """Mute (forever) or unmute one dialog, and tell the account's clients."""
    read_state = state.accounts[user_id].read_state(peer)
    read_state.mute_until = MUTED_FOREVER if muted else 0
    update = build(
        types.UpdateNotifySettings,
        peer=build(types.NotifyPeer, peer=peer_tl(peer)),
        notify_settings=notify_settings_tl(read_state),
    )
    push(state, user_id, [update], (peer,), date)
