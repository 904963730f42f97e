"""Writing operations that run ON the Telethon thread: send a text, pin or unpin.

``send_text`` issues ``messages.sendMessage`` itself rather than through
``client.send_message``, for two reasons: the ``random_id`` is the one the caller
recorded before sending (Telegram deduplicates a request re-sent with the same
``random_id``), and the text goes out exactly as given, with no Markdown parsing.
A stale access hash is retried once by ``with_peer``; PEER_ID_INVALID guarantees
Telegram delivered nothing, so that retry cannot send twice.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.telegram.model import PeerRef, PinResult, SentMessage
from mctltg.telegram.on_loop.convert import canonical_peer_of, timestamp
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = ["canonical_of", "pin_message", "send_text", "sent_id_and_date"]


def canonical_of(input_peer: Any, ref: PeerRef) -> str:
    """The canonical name of the peer a request went to (``me`` for Saved Messages)."""
    if isinstance(input_peer, types.InputPeerSelf):
        return "me"
    try:
        return canonical_peer_of(input_peer)
    except TypeError:
        return str(ref)


async def send_text(
    client: Any, ref: PeerRef, text: str, reply_to: int | None, random_id: int
) -> SentMessage:
    """Send ``text`` to ``ref`` with the caller's ``random_id``; Telegram's id and date back."""

    async def send(input_peer: Any) -> SentMessage:
        request = functions.messages.SendMessageRequest(
            peer=input_peer,
            message=text,
            random_id=random_id,
            no_webpage=False,
            reply_to=None if reply_to is None else types.InputReplyToMessage(reply_to_msg_id=reply_to),
        )
        result = await client(request)
        message_id, date = _sent_id_and_date(result, random_id)
        return SentMessage(message_id=message_id, date=date, peer=canonical_of(input_peer, ref))

    return await with_peer(client, ref, send)


def _sent_id_and_date(result: Any, random_id: int) -> tuple[int, float]:
    """Find the new message's id and date in whichever shape Telegram answered."""
    if isinstance(result, types.UpdateShortSentMessage):
        return int(result.id), timestamp(result.date) or 0.0
    updates = list(getattr(result, "updates", ()) or ())
    message_id: int | None = None
    for update in updates:
        if isinstance(update, types.UpdateMessageID) and update.random_id == random_id:
            message_id = int(update.id)
    for update in updates:
        if isinstance(update, (types.UpdateNewMessage, types.UpdateNewChannelMessage)):
            message = update.message
            if message_id is None or int(message.id) == message_id:
                return int(message.id), timestamp(message.date) or 0.0
    if message_id is not None:
        return message_id, timestamp(getattr(result, "date", None)) or 0.0
    raise ValueError(f"Telegram's answer to a send carried no message id ({type(result).__name__})")


#: Public for the other sends (``send_media``) that read Telegram's answer the same way.
sent_id_and_date = _sent_id_and_date


async def pin_message(client: Any, ref: PeerRef, message_id: int, unpin: bool, silent: bool) -> PinResult:
    """Pin (or unpin) one message in ``ref``."""

    async def pin(input_peer: Any) -> PinResult:
        await client(
            functions.messages.UpdatePinnedMessageRequest(
                peer=input_peer, id=message_id, unpin=unpin, silent=silent
            )
        )
        return PinResult(peer=canonical_of(input_peer, ref), message_id=message_id, unpinned=unpin)

    return await with_peer(client, ref, pin)
