"""Unread messages across dialogs in few RPCs (runs ON the Telethon thread).

The obvious design costs one ``messages.getDialogs`` plus one history call per dialog
with unread messages (21 RPCs for 20 unread chats). Telegram numbers the messages of
private chats and basic groups per *account* (one id sequence, the "box"), so:

1. One ``messages.getDialogs`` gives, per dialog, ``read_inbox_max_id``, ``unread_count``
   and ``top_message`` — and the top messages themselves.
2. Dialogs are ranked (direct messages and groups that mention or reply to the user,
   then other groups, then broadcast channels; muted after unmuted; newest first) and
   the ``limit`` is shared out in that order, so only needed messages are fetched.
3. For box dialogs, the unread messages lie in ``(read_inbox_max_id, top_message]``.
   The planner (:func:`plan_batched`) picks which dialogs to cover by id batches — one
   ``messages.getMessages`` per ``BATCH_SIZE`` ids, newest ids first, stopping as soon
   as every covered dialog has its messages — and which get one history call each.
   It only batches where the worst case (every id in the ranges fetched) costs no more
   calls than history would, so sparse ids fall back gracefully and the total never
   exceeds one history call per dialog.
4. Channels and supergroups have their own id sequences: one ``messages.getHistory``
   with ``min_id=read_inbox_max_id`` each.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from telethon import utils
from telethon.tl import functions, types

from mctltg.telegram.model import DialogKind, Message, PeerRef, UnreadChat, UnreadDigest
from mctltg.telegram.on_loop.convert import canonical_peer_of, chat_title
from mctltg.telegram.on_loop.convert_messages import Entities, entity_kind, is_muted, message_from_tl
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = [
    "BATCH_SIZE",
    "DIALOG_PAGE",
    "UnreadDialog",
    "allocate",
    "fetch_unread",
    "next_batch",
    "plan_batched",
    "priority",
    "span_size",
]

#: Ids per ``messages.getMessages`` (Telethon's own chunk size for it).
BATCH_SIZE: Final = 100
#: Dialogs read in the one ``messages.getDialogs`` (Telegram's maximum per call).
DIALOG_PAGE: Final = 100
#: Extra messages asked of a history call, for outgoing messages mixed with unread ones.
OUT_SLACK: Final = 10

Span = tuple[int, int]  # ids in (low, high]


@dataclass(frozen=True, slots=True, kw_only=True)
class UnreadDialog:
    """A dialog's read state as the dialog list reports it."""

    peer: str
    kind: DialogKind
    title: str
    entity: Any
    unread_count: int
    mentions: int
    muted: bool
    read_inbox_max_id: int
    top_message: int
    top_date: float

    @property
    def in_box(self) -> bool:
        """Private chats and basic groups share the account's message id sequence."""
        return self.kind in ("user", "bot", "group")

    @property
    def span(self) -> Span:
        return (self.read_inbox_max_id, self.top_message)

    @property
    def tier(self) -> int:
        """0: direct, or a group that mentions/replies to the user; 1: other groups; 2: channels."""
        if self.kind in ("user", "bot") or (self.kind in ("group", "supergroup") and self.mentions):
            return 0
        return 1 if self.kind in ("group", "supergroup") else 2


def priority(dialog: UnreadDialog) -> tuple[bool, int, float]:
    """Sort key: unmuted first, then tier, then most recent activity first."""
    return (dialog.muted, dialog.tier, -dialog.top_date)


def allocate(dialogs: Iterable[UnreadDialog], limit: int) -> list[tuple[UnreadDialog, int]]:
    """Share ``limit`` out over the dialogs in priority order: ``(dialog, messages wanted)``."""
    shares: list[tuple[UnreadDialog, int]] = []
    left = limit
    for dialog in sorted(dialogs, key=priority):
        if left <= 0:
            break
        want = min(dialog.unread_count, left)
        if want > 0:
            shares.append((dialog, want))
            left -= want
    return shares


def _merged(spans: Iterable[Span]) -> list[Span]:
    out: list[list[int]] = []
    for low, high in sorted(s for s in spans if s[1] > s[0]):
        if out and low <= out[-1][1]:
            out[-1][1] = max(out[-1][1], high)
        else:
            out.append([low, high])
    return [(low, high) for low, high in out]


def span_size(spans: Iterable[Span], known: set[int]) -> int:
    """How many ids the union of ``spans`` holds, not counting ``known`` ones."""
    merged = _merged(spans)
    total = sum(high - low for low, high in merged)
    return total - sum(1 for i in known if any(low < i <= high for low, high in merged))


def plan_batched(spans: Sequence[Span], known: set[int], batch: int = BATCH_SIZE) -> int:
    """How many of ``spans`` (taken in the given order) to cover by id batches.

    Minimises the worst-case cost ``ceil(ids / batch) + (spans left to history calls)``;
    0 means one history call each. Ties go to batching, which usually stops early.
    """
    best_k, best_cost = 0, len(spans)
    for k in range(1, len(spans) + 1):
        cost = math.ceil(span_size(spans[:k], known) / batch) + (len(spans) - k)
        if cost <= best_cost:
            best_k, best_cost = k, cost
    return best_k


def next_batch(spans: Iterable[Span], known: set[int], floor: int, size: int = BATCH_SIZE) -> list[int]:
    """The highest ``size`` ids below ``floor`` in the union of ``spans``, skipping ``known``."""
    ids: list[int] = []
    for low, high in reversed(_merged(spans)):
        current = min(high, floor - 1)
        while current > low and len(ids) < size:
            if current not in known:
                ids.append(current)
            current -= 1
        if len(ids) >= size:
            break
    return ids


def _dialog(
    raw: Any, entities: Entities, tops: dict[tuple[str, int], Message], now: float
) -> UnreadDialog | None:
    if not isinstance(raw, types.Dialog):
        return None
    peer = canonical_peer_of(raw.peer)
    entity = entities.get(peer)
    if entity is None or isinstance(entity, (types.ChatForbidden, types.ChannelForbidden)):
        return None
    top = tops.get((peer, int(raw.top_message or 0)))
    return UnreadDialog(
        peer=peer,
        kind=entity_kind(entity),
        title=chat_title(entity),
        entity=entity,
        unread_count=int(raw.unread_count or 0),
        mentions=int(raw.unread_mentions_count or 0),
        muted=is_muted(raw.notify_settings, now),
        read_inbox_max_id=int(raw.read_inbox_max_id or 0),
        top_message=int(raw.top_message or 0),
        top_date=top.date if top is not None else 0.0,
    )


class _Collector:
    """Unread incoming messages found so far, per selected dialog."""

    def __init__(self, shares: Sequence[tuple[UnreadDialog, int]]) -> None:
        self.want = {d.peer: w for d, w in shares}
        self.dialogs = {d.peer: d for d, _ in shares}
        self.found: dict[str, dict[int, Message]] = {d.peer: {} for d, _ in shares}

    def offer(self, message: Message) -> None:
        dialog = self.dialogs.get(message.peer)
        if dialog is None or message.service or message.out or message.id <= dialog.read_inbox_max_id:
            return
        self.found[message.peer][message.id] = message

    def missing(self, peer: str) -> int:
        return max(0, self.want[peer] - len(self.found[peer]))

    def chosen(self, peer: str) -> list[Message]:
        newest = sorted(self.found[peer].values(), key=lambda m: m.id, reverse=True)[: self.want[peer]]
        return sorted(newest, key=lambda m: m.id)


def _converted(answer: Any) -> list[Message]:
    entities = Entities(answer)
    out = [message_from_tl(raw, entities) for raw in answer.messages]
    return [m for m in out if m is not None]


async def _history_unread(client: Any, input_peer: Any, dialog: UnreadDialog, found: _Collector) -> None:
    """Fill one dialog from its history above ``read_inbox_max_id`` (usually one call)."""
    offset = 0
    while found.missing(dialog.peer) > 0:
        chunk = min(100, found.missing(dialog.peer) + OUT_SLACK)
        answer = await client(
            functions.messages.GetHistoryRequest(
                peer=input_peer,
                offset_id=offset,
                offset_date=None,
                add_offset=0,
                limit=chunk,
                max_id=0,
                min_id=dialog.read_inbox_max_id,
                hash=0,
            )
        )
        messages = _converted(answer)
        for message in messages:
            found.offer(message)
        if not messages or len(answer.messages) < chunk:
            return
        offset = min(m.id for m in messages)


async def _fill_box(
    client: Any, needy: list[UnreadDialog], known: set[int], found: _Collector
) -> list[UnreadDialog]:
    """Batch-fetch box dialogs by id; returns the dialogs left to history calls."""
    needy = sorted(needy, key=lambda d: d.top_message - d.read_inbox_max_id)
    covered = needy[: plan_batched([d.span for d in needy], known)]
    floor = max((d.top_message for d in covered), default=0) + 1

    def satisfied(dialog: UnreadDialog) -> bool:
        return found.missing(dialog.peer) == 0 or floor <= dialog.read_inbox_max_id + 1

    while active := [d for d in covered if not satisfied(d)]:
        ids = next_batch([d.span for d in active], known, floor)
        if not ids:
            break
        answer = await client(
            functions.messages.GetMessagesRequest(id=[types.InputMessageID(id=i) for i in ids])
        )
        floor = min(ids)
        for message in _converted(answer):
            found.offer(message)
    return [d for d in needy if d not in covered and found.missing(d.peer) > 0]


async def _collect(
    client: Any, shares: list[tuple[UnreadDialog, int]], tops: Iterable[Message], known: set[int]
) -> _Collector:
    found = _Collector(shares)
    for message in tops:
        found.offer(message)
    needy = [d for d, _ in shares if found.missing(d.peer) > 0]
    rest = await _fill_box(client, [d for d in needy if d.in_box], known, found)
    for dialog in rest + [d for d in needy if not d.in_box]:
        await _history_unread(client, utils.get_input_peer(dialog.entity), dialog, found)
    return found


def _digest(
    dialogs: Sequence[UnreadDialog], shares: list[tuple[UnreadDialog, int]], found: _Collector
) -> UnreadDigest:
    messages: list[Message] = []
    for dialog, _ in shares:
        messages.extend(found.chosen(dialog.peer))
    returned = {peer: len(found.chosen(peer)) for peer in found.want}
    chats = tuple(
        UnreadChat(
            peer=d.peer,
            title=d.title,
            unread_count=d.unread_count,
            returned=returned.get(d.peer, 0),
            muted=d.muted,
            mentioned=d.mentions > 0,
        )
        for d in sorted(dialogs, key=priority)
    )
    return UnreadDigest(messages=tuple(messages), chats=chats)


async def fetch_unread(
    client: Any, ref: PeerRef | None, limit: int, admits: Callable[[str], bool] | None = None
) -> UnreadDigest:
    """Unread incoming messages, across the newest ``DIALOG_PAGE`` dialogs or in one peer.

    ``admits`` (a sharing rule) drops unshared dialogs before anything is ranked, counted
    or fetched: their messages are never asked for and never counted.
    """
    now = time.time()
    if ref is not None:
        return await with_peer(client, ref, lambda input_peer: _one_peer(client, input_peer, limit, now))
    answer = await client(
        functions.messages.GetDialogsRequest(
            offset_date=None, offset_id=0, offset_peer=types.InputPeerEmpty(), limit=DIALOG_PAGE, hash=0
        )
    )
    return await _across(client, answer, limit, now, admits)


async def _across(
    client: Any, answer: Any, limit: int, now: float, admits: Callable[[str], bool] | None
) -> UnreadDigest:
    entities = Entities(answer)
    tops = {(m.peer, m.id): m for m in _converted(answer)}
    dialogs = [d for raw in answer.dialogs if (d := _dialog(raw, entities, tops, now)) is not None]
    known = {d.top_message for d in dialogs if d.in_box}  # fetched already, shared or not
    if admits is not None:
        dialogs = [d for d in dialogs if admits(d.peer)]
    unread = [d for d in dialogs if d.unread_count > 0]
    shares = allocate(unread, limit)
    found = await _collect(client, shares, tops.values(), known)
    return _digest(unread, shares, found)


async def _one_peer(client: Any, input_peer: Any, limit: int, now: float) -> UnreadDigest:
    answer = await client(
        functions.messages.GetPeerDialogsRequest(peers=[types.InputDialogPeer(peer=input_peer)])
    )
    entities = Entities(answer)
    tops = {(m.peer, m.id): m for m in _converted(answer)}
    dialogs = [d for raw in answer.dialogs if (d := _dialog(raw, entities, tops, now)) is not None]
    unread = [d for d in dialogs if d.unread_count > 0]
    shares = allocate(unread, limit)
    found = _Collector(shares)
    for message in tops.values():
        found.offer(message)
    for dialog, _ in shares:
        if found.missing(dialog.peer) > 0:
            await _history_unread(client, input_peer, dialog, found)
    return _digest(unread, shares, found)
