"""Reading operations that run ON the Telethon thread: history pages, search, mark read.

Each uses Telegram's raw methods so the RPC cost of a tool call is exactly what is
written here (Telethon's iterators add calls of their own), and every peer goes through
``resolve.with_peer``. History cursors follow one rule: ``next_before_id`` is the
smallest *raw* id on the page, service messages included, and it is None only when
Telegram has nothing older — so a page that is empty after filtering still moves on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from telethon.tl import functions, types

from mctltg.telegram.model import Message, MessagePage, PeerRef
from mctltg.telegram.on_loop.convert_messages import Entities, message_from_tl
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = ["HISTORY_CHUNK", "fetch_history", "mark_read", "search_messages"]

#: Telegram answers at most 100 messages per history or search call.
HISTORY_CHUNK: Final = 100


def _converted(answer: Any) -> list[Message]:
    entities = Entities(answer)
    out = [message_from_tl(raw, entities) for raw in answer.messages]
    return [m for m in out if m is not None]


async def fetch_history(
    client: Any, ref: PeerRef, limit: int, before_id: int | None, after_id: int | None
) -> MessagePage:
    """Up to ``limit`` raw messages older than ``before_id`` (and newer than ``after_id``).

    Costs one ``messages.getHistory`` per 100 messages (plus peer resolution).
    """
    floor = after_id or 0

    async def page(input_peer: Any) -> MessagePage:
        collected: list[Message] = []
        offset = before_id or 0
        ended = False
        title = ""
        while len(collected) < limit:
            want = min(HISTORY_CHUNK, limit - len(collected))
            answer = await client(
                functions.messages.GetHistoryRequest(
                    peer=input_peer,
                    offset_id=offset,
                    offset_date=None,
                    add_offset=0,
                    limit=want,
                    max_id=0,
                    min_id=floor,
                    hash=0,
                )
            )
            batch = [m for m in _converted(answer) if (not offset or m.id < offset) and m.id > floor]
            collected.extend(batch)
            title = title or next((m.peer_title for m in batch if m.peer_title), "")
            if not batch or isinstance(answer, types.messages.Messages) or len(answer.messages) < want:
                ended = True
                break
            offset = min(m.id for m in batch)
            if offset <= floor + 1:
                ended = True
                break
        lowest = min((m.id for m in collected), default=None)
        cursor = None if ended or lowest is None or lowest <= floor + 1 else lowest
        return MessagePage(
            messages=tuple(collected),
            next_before_id=cursor,
            peer=next((m.peer for m in collected), str(ref)),
            peer_title=title,
        )

    return await with_peer(client, ref, page)


def _bounds(min_date: float | None, max_date: float | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Telegram's exclusive date bounds for the inclusive [min_date, max_date] in seconds."""
    low = dt.datetime.fromtimestamp(int(min_date) - 1, dt.UTC) if min_date is not None else None
    high = dt.datetime.fromtimestamp(int(max_date) + 1, dt.UTC) if max_date is not None else None
    return low, high


async def search_messages(
    client: Any,
    ref: PeerRef | None,
    query: str,
    limit: int,
    min_date: float | None,
    max_date: float | None,
    topic_id: int | None = None,
) -> list[Message]:
    """Messages containing ``query``, newest first: in one chat, or across all (``ref`` None).

    One ``messages.search`` or ``messages.searchGlobal`` (plus peer resolution).
    """
    low, high = _bounds(min_date, max_date)
    if ref is None:
        answer = await client(
            functions.messages.SearchGlobalRequest(
                q=query,
                filter=types.InputMessagesFilterEmpty(),
                min_date=low,
                max_date=high,
                offset_rate=0,
                offset_peer=types.InputPeerEmpty(),
                offset_id=0,
                limit=limit,
            )
        )
        return [m for m in _converted(answer) if not m.service]

    async def in_peer(input_peer: Any) -> list[Message]:
        answer = await client(
            functions.messages.SearchRequest(
                peer=input_peer,
                q=query,
                filter=types.InputMessagesFilterEmpty(),
                min_date=low,
                max_date=high,
                offset_id=0,
                add_offset=0,
                limit=limit,
                max_id=0,
                min_id=0,
                hash=0,
                top_msg_id=topic_id,
            )
        )
        return [m for m in _converted(answer) if not m.service]

    return await with_peer(client, ref, in_peer)


async def mark_read(client: Any, ref: PeerRef, max_id: int | None) -> int | None:
    """Mark the dialog read up to ``max_id``; returns the id sent (None: 0, "everything").

    A channel read without ``max_id`` sends the newest message id, found with one
    ``messages.getHistory`` of one message: ``channels.readHistory`` with 0 means
    "everything" only on Telegram's own servers, and a message arriving between the two
    requests stays unread, as it would for a person who opened the chat a moment earlier.
    One RPC (two for a channel without ``max_id``), plus resolution.
    """

    async def read(input_peer: Any) -> int | None:
        if isinstance(input_peer, types.InputPeerChannel):
            channel = types.InputChannel(input_peer.channel_id, input_peer.access_hash)
            top = max_id if max_id is not None else await _newest_id(client, input_peer)
            await client(functions.channels.ReadHistoryRequest(channel=channel, max_id=top))
            return top
        await client(functions.messages.ReadHistoryRequest(peer=input_peer, max_id=max_id or 0))
        return max_id

    return await with_peer(client, ref, read)


async def _newest_id(client: Any, input_peer: Any) -> int:
    answer = await client(
        functions.messages.GetHistoryRequest(
            peer=input_peer, offset_id=0, offset_date=None, add_offset=0, limit=1, max_id=0, min_id=0, hash=0
        )
    )
    return max((int(m.id) for m in getattr(answer, "messages", ())), default=0)
