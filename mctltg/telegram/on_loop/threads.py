"""Context around a message and reply threads, ON the Telethon thread.

Both are one raw RPC (plus peer resolution). The context is a single
``messages.getHistory`` centred on the message with a negative ``add_offset``: Telegram
returns the ``after`` newer messages, the message itself and the ``before`` older ones,
so no second call is needed. A thread is one ``messages.getReplies``; for a channel post
Telegram answers with the comments from the channel's discussion group.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions

from mctltg.errors import TelegramRpcError
from mctltg.telegram.error_map import ACTIONABLE
from mctltg.telegram.model import MessageContext, PeerRef, ReplyThread
from mctltg.telegram.on_loop.convert_messages import Entities, message_from_tl
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = ["fetch_context", "fetch_replies"]


def _converted(answer: Any) -> list[Any]:
    entities = Entities(answer)
    return [m for m in (message_from_tl(raw, entities) for raw in answer.messages) if m is not None]


async def fetch_context(
    client: Any, ref: PeerRef, message_id: int, before: int, after: int
) -> MessageContext:
    """``before`` messages older than ``message_id``, the message, ``after`` newer; oldest first.

    Raises:
        TelegramRpcError: MSG_ID_INVALID when the chat has no message with that id.
    """

    async def around(input_peer: Any) -> MessageContext:
        answer = await client(
            functions.messages.GetHistoryRequest(
                peer=input_peer,
                offset_id=message_id,
                offset_date=None,
                add_offset=-(after + 1),
                limit=before + after + 1,
                max_id=0,
                min_id=0,
                hash=0,
            )
        )
        messages = sorted(_converted(answer), key=lambda m: m.id)
        if not any(m.id == message_id for m in messages):
            raise TelegramRpcError("MSG_ID_INVALID", ACTIONABLE["MSG_ID_INVALID"])
        return MessageContext(messages=tuple(messages), target=message_id)

    return await with_peer(client, ref, around)


async def fetch_replies(client: Any, ref: PeerRef, message_id: int, limit: int) -> ReplyThread:
    """The newest ``limit`` replies under ``message_id`` (a post's comments), newest first."""

    async def replies(input_peer: Any) -> ReplyThread:
        answer = await client(
            functions.messages.GetRepliesRequest(
                peer=input_peer,
                msg_id=message_id,
                offset_id=0,
                offset_date=None,
                add_offset=0,
                limit=limit,
                max_id=0,
                min_id=0,
                hash=0,
            )
        )
        messages = _converted(answer)
        return ReplyThread(messages=tuple(messages), count=int(getattr(answer, "count", len(messages))))

    return await with_peer(client, ref, replies)
