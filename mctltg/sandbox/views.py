"""Read-only queries over the world: a chat's messages, unread counts, dialog order, paging.

Unread counting rule (Telegram's own is close to this): a dialog's ``unread_count`` is the
number of *incoming, non-service* messages with an id above the account's
``read_inbox_max_id``. Service messages (chat created, joined, pinned) never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from mctltg.sandbox.render import notify_settings_tl, peer_tl
from mctltg.sandbox.state import PeerKey, StoredMessage, WorldState
from mctltg.sandbox.tl import build
from mctltg.sandbox.values import SandboxMessage

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Window",
    "as_value",
    "can_read",
    "dialog_tl",
    "is_incoming",
    "messages_in",
    "ordered_dialogs",
    "unread_count",
    "window",
]


def messages_in(state: WorldState, viewer: int, peer: PeerKey) -> list[StoredMessage]:
    """The chat's messages as ``viewer`` sees them, oldest first."""
    if peer.kind == "channel":
        channel = state.channels.get(peer.id)
        return list(channel.messages.values()) if channel else []
    box = state.accounts[viewer].box
    return [box.messages[i] for i in box.by_peer.get(peer, ())]


def as_value(viewer: int, message: StoredMessage) -> SandboxMessage:
    """The frozen, public view of one message as ``viewer`` sees it."""
    channel = message.peer.kind == "channel"
    return SandboxMessage(
        id=message.id,
        peer=message.peer.ref,
        sender=None if message.post else message.sender,
        text=message.text,
        date=message.date,
        out=message.sender == viewer if channel else message.out,
        service=message.action is not None,
        reply_to=message.reply_to,
        pinned=message.pinned,
        edited=message.edit_date is not None,
        forwarded=message.fwd_date is not None,
        reactions=tuple(sorted(message.reactions.values())),
    )


def can_read(state: WorldState, viewer: int, peer: PeerKey) -> bool:
    """Members read a channel; anyone reads a public (username) one."""
    if peer.kind != "channel":
        return True
    channel = state.channels[peer.id]
    return viewer in channel.members or channel.username is not None


def is_incoming(viewer: int, message: StoredMessage) -> bool:
    if message.peer.kind == "channel":
        return message.sender != viewer
    return not message.out


def unread_count(state: WorldState, viewer: int, peer: PeerKey, messages: Sequence[StoredMessage]) -> int:
    read_state = state.accounts[viewer].dialogs.get(peer)
    read_max = read_state.read_inbox_max_id if read_state else 0
    return sum(1 for m in messages if m.id > read_max and m.action is None and is_incoming(viewer, m))


def _read_outbox_max_id(state: WorldState, viewer: int, peer: PeerKey) -> int:
    if peer.kind != "channel":
        read_state = state.accounts[viewer].dialogs.get(peer)
        return read_state.read_outbox_max_id if read_state else 0
    best = 0
    for member in state.channels[peer.id].members:
        if member != viewer:
            other = state.accounts[member].dialogs.get(peer)
            best = max(best, other.read_inbox_max_id if other else 0)
    return best


def dialog_tl(state: WorldState, viewer: int, peer: PeerKey, messages: Sequence[StoredMessage]) -> Any:
    """The ``Dialog`` for one chat; ``messages`` are :func:`messages_in` for it."""
    read_state = state.accounts[viewer].dialogs.get(peer)
    top = messages[-1].id if messages else 0
    return build(
        types.Dialog,
        peer=peer_tl(peer),
        top_message=top,
        read_inbox_max_id=read_state.read_inbox_max_id if read_state else 0,
        read_outbox_max_id=_read_outbox_max_id(state, viewer, peer),
        unread_count=unread_count(state, viewer, peer, messages),
        unread_mentions_count=len(read_state.unread_mentions) if read_state else 0,
        unread_reactions_count=0,
        notify_settings=notify_settings_tl(read_state),
        pts=state.channels[peer.id].pts if peer.kind == "channel" else None,
        folder_id=1 if read_state is not None and read_state.folder_id == 1 else None,
    )


def ordered_dialogs(state: WorldState, viewer: int) -> list[tuple[PeerKey, list[StoredMessage]]]:
    """Every dialog of ``viewer`` with its messages, most recent activity first."""
    account = state.accounts[viewer]
    peers = [peer for peer, ids in account.box.by_peer.items() if ids]
    peers += [PeerKey("channel", c.id) for c in state.channels.values() if viewer in c.members]
    rows = [(peer, messages_in(state, viewer, peer)) for peer in peers]

    def recency(row: tuple[PeerKey, list[StoredMessage]]) -> tuple[float, int]:
        messages = row[1]
        return (messages[-1].date, messages[-1].logical) if messages else (0.0, 0)

    rows.sort(key=recency, reverse=True)
    return rows


@dataclass(frozen=True, slots=True)
class Window:
    """One page of a newest-first list, and whether it is the whole list."""

    items: list[StoredMessage]
    count: int
    complete: bool


def window(
    newest_first: list[StoredMessage],
    *,
    offset_id: int = 0,
    offset_date: float | None = None,
    add_offset: int = 0,
    limit: int = 100,
    max_id: int = 0,
    min_id: int = 0,
) -> Window:
    """Telegram's history paging: skip to ``offset_id`` (exclusive) or ``offset_date``,
    move by ``add_offset`` (negative goes newer), take ``limit``; ``max_id``/``min_id``
    are exclusive bounds. The page is the intersection of that window with the list.
    """
    count = len(newest_first)
    rows = [m for m in newest_first if (not max_id or m.id < max_id) and (not min_id or m.id > min_id)]
    start = 0
    if offset_id:
        start = next((i for i, m in enumerate(rows) if m.id < offset_id), len(rows))
    elif offset_date:
        start = next((i for i, m in enumerate(rows) if m.date < offset_date), len(rows))
    start += add_offset
    limit = 100 if limit <= 0 else min(limit, 100)
    end = start + limit
    items = rows[max(start, 0) : max(end, 0)]
    complete = len(items) == count
    return Window(items=items, count=count, complete=complete)
