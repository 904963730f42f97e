"""Sending a file ON the Telethon thread: upload it in parts, then ``messages.sendMedia``.

The upload goes through Telethon's ``upload_file``, which cuts the bytes into parts of
128 KiB and sends each with ``upload.saveFilePart`` (with the whole file's MD5), or with
``upload.saveBigFilePart`` above 10 MB, as Telegram requires. Only then is
``messages.sendMedia`` issued, once, with the ``random_id`` the caller recorded in the
ledger before anything was uploaded: Telegram deduplicates a re-sent request on it. A
stale access hash retries only the send (``with_peer``); the uploaded parts are reused. The
peer is resolved before anything is uploaded, so an unknown peer costs no upload.
The caption goes out exactly as given, with no Markdown parsing.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.telegram.model import MediaUpload, PeerRef, SentMessage
from mctltg.telegram.on_loop.resolve import with_peer
from mctltg.telegram.on_loop.writing import canonical_of, sent_id_and_date

__all__ = ["input_media", "send_media"]


def input_media(uploaded: Any, upload: MediaUpload) -> Any:
    """The ``InputMedia`` for an uploaded file of ``upload.kind``."""
    if upload.kind == "photo":
        return types.InputMediaUploadedPhoto(file=uploaded)
    attributes: list[Any] = [types.DocumentAttributeFilename(file_name=upload.file_name)]
    if upload.kind in ("video", "animation"):
        attributes.append(
            types.DocumentAttributeVideo(
                duration=0, w=upload.width or 0, h=upload.height or 0, supports_streaming=True
            )
        )
    if upload.kind == "animation":
        attributes.append(types.DocumentAttributeAnimated())
    if upload.kind in ("audio", "voice"):
        attributes.append(types.DocumentAttributeAudio(duration=0, voice=upload.kind == "voice"))
    return types.InputMediaUploadedDocument(
        file=uploaded,
        mime_type=upload.mime_type,
        attributes=attributes,
        force_file=upload.kind == "document",
        nosound_video=upload.kind == "animation",
    )


async def send_media(
    client: Any, ref: PeerRef, upload: MediaUpload, reply_to: int | None, random_id: int
) -> SentMessage:
    """Upload ``upload`` in parts and send it to ``ref`` with the caller's ``random_id``."""
    media: list[Any] = []  # uploaded once the peer resolves; a retried send reuses it

    async def send(input_peer: Any) -> SentMessage:
        if not media:
            uploaded = await client.upload_file(upload.data, file_name=upload.file_name)
            media.append(input_media(uploaded, upload))
        request = functions.messages.SendMediaRequest(
            peer=input_peer,
            media=media[0],
            message=upload.caption,
            random_id=random_id,
            reply_to=None if reply_to is None else types.InputReplyToMessage(reply_to_msg_id=reply_to),
        )
        result = await client(request)
        message_id, date = sent_id_and_date(result, random_id)
        return SentMessage(message_id=message_id, date=date, peer=canonical_of(input_peer, ref))

    return await with_peer(client, ref, send)
