"""Drafts and scheduled messages, ON the Telethon thread.

``save_draft`` issues ``messages.saveDraft`` (an empty text clears the chat's draft);
``fetch_drafts`` uses Telethon's own ``get_drafts``, which reads the ``Updates`` of
``updateDraftMessage`` that ``messages.getAllDrafts`` answers with. ``send_scheduled``
is ``messages.sendMessage`` with ``schedule_date`` and the caller's ``random_id``;
Telegram answers ``updateMessageID`` + ``updateNewScheduledMessage`` and delivers the
message itself at that time. ``fetch_scheduled`` and ``delete_scheduled`` are
``messages.getScheduledHistory`` and ``messages.deleteScheduledMessages``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from telethon.tl import functions, types

from mctltg.telegram.model import Message, PeerRef, SavedDraft, SentMessage
from mctltg.telegram.on_loop.convert import canonical_peer_of, chat_title, timestamp
from mctltg.telegram.on_loop.convert_messages import Entities, message_from_tl
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = ["delete_scheduled", "fetch_drafts", "fetch_scheduled", "save_draft", "send_scheduled"]


def _canonical(input_peer: Any, ref: PeerRef) -> str:
    if isinstance(input_peer, types.InputPeerSelf):
        return "me"
    try:
        return canonical_peer_of(input_peer)
    except TypeError:
        return str(ref)


def _reply_to(reply_to: int | None, topic_id: int | None) -> Any:
    if reply_to is None and topic_id is None:
        return None
    # In a forum topic without a reply, the topic's own first message is the one replied to.
    return types.InputReplyToMessage(reply_to_msg_id=reply_to or topic_id or 0, top_msg_id=topic_id)


async def save_draft(client: Any, ref: PeerRef, text: str, reply_to: int | None, topic_id: int | None) -> str:
    """Set (or with ``""`` clear) ``ref``'s draft; the canonical peer back."""

    async def save(input_peer: Any) -> str:
        request = functions.messages.SaveDraftRequest(
            peer=input_peer, message=text, reply_to=_reply_to(reply_to, topic_id), no_webpage=False
        )
        await client(request)
        return _canonical(input_peer, ref)

    return await with_peer(client, ref, save)


async def fetch_drafts(client: Any) -> list[SavedDraft]:
    """Every non-empty draft of the account (one ``messages.getAllDrafts``)."""
    out: list[SavedDraft] = []
    for draft in await client.get_drafts():
        text = draft.raw_text or ""
        if not text:
            continue
        # Telethon's Draft keeps the replied-to id only; a forum topic's draft needs the raw
        # updateDraftMessage (top_msg_id) when topics come to save_draft.
        reply_id = draft.reply_to_msg_id
        entity = draft.entity
        out.append(
            SavedDraft(
                peer=canonical_peer_of(entity),
                peer_title=chat_title(entity),
                text=text,
                date=timestamp(draft.date),
                reply_to=None if not reply_id else int(reply_id),
            )
        )
    return out


async def send_scheduled(
    client: Any, ref: PeerRef, text: str, reply_to: int | None, random_id: int, when: float
) -> SentMessage:
    """Queue ``text`` for ``when`` (epoch seconds); the scheduled message's id and date back."""

    async def send(input_peer: Any) -> SentMessage:
        request = functions.messages.SendMessageRequest(
            peer=input_peer,
            message=text,
            random_id=random_id,
            no_webpage=False,
            reply_to=_reply_to(reply_to, None),
            schedule_date=dt.datetime.fromtimestamp(when, dt.UTC),
        )
        result = await client(request)
        for update in getattr(result, "updates", ()) or ():
            if isinstance(update, types.UpdateNewScheduledMessage):
                message = update.message
                return SentMessage(
                    message_id=int(message.id),
                    date=timestamp(message.date) or when,
                    peer=_canonical(input_peer, ref),
                )
        for update in getattr(result, "updates", ()) or ():
            if isinstance(update, types.UpdateMessageID) and update.random_id == random_id:
                return SentMessage(message_id=int(update.id), date=when, peer=_canonical(input_peer, ref))
        raise ValueError(
            f"Telegram's answer to a scheduled send carried no message id ({type(result).__name__})"
        )

    return await with_peer(client, ref, send)


async def fetch_scheduled(client: Any, ref: PeerRef) -> list[Message]:
    """``ref``'s scheduled messages, soonest last (one ``messages.getScheduledHistory``)."""

    async def fetch(input_peer: Any) -> list[Message]:
        answer = await client(functions.messages.GetScheduledHistoryRequest(peer=input_peer, hash=0))
        entities = Entities(answer)
        converted = (message_from_tl(raw, entities) for raw in getattr(answer, "messages", ()))
        # A scheduled id lives in the chat's queue, not its history: no t.me link points at it.
        return [dataclasses.replace(m, link=None) for m in converted if m is not None]

    return await with_peer(client, ref, fetch)


async def delete_scheduled(client: Any, ref: PeerRef, ids: list[int]) -> tuple[str, list[int]]:
    """Delete scheduled messages; the canonical peer and the ids Telegram says it deleted."""

    async def delete(input_peer: Any) -> tuple[str, list[int]]:
        result = await client(functions.messages.DeleteScheduledMessagesRequest(peer=input_peer, id=ids))
        deleted: list[int] = []
        for update in getattr(result, "updates", ()) or ():
            if isinstance(update, types.UpdateDeleteScheduledMessages):
                deleted.extend(int(i) for i in update.messages)
        return _canonical(input_peer, ref), deleted

    return await with_peer(client, ref, delete)
