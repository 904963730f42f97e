"""Sending a file ON the Telethon thread: upload it in parts, then ``messages.sendMedia``.

Two operations, so that each crosses the bridge under its own call deadline and an upload
that does not finish is known not to have sent anything (``TelegramAccount.send_media``):

- ``upload_media`` goes through Telethon's ``upload_file``, which cuts the bytes into parts
  of 128 KiB and sends each with ``upload.saveFilePart`` (with the whole file's MD5), or
  with ``upload.saveBigFilePart`` above 10 MB, as Telegram requires;
- ``send_uploaded`` then issues ``messages.sendMedia`` once, with the ``random_id`` the
  caller recorded in the ledger before anything was uploaded: Telegram deduplicates a
  re-sent request on it. A stale access hash retries only the send (``with_peer``).
The caption goes out exactly as given, with no Markdown parsing.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.telegram.model import MediaUpload, PeerRef, SentMessage
from mctltg.telegram.on_loop.resolve import with_peer
from mctltg.telegram.on_loop.writing import canonical_of, sent_id_and_date

__all__ = ["input_media", "send_uploaded", "upload_media"]


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


async def upload_media(client: Any, upload: MediaUpload) -> Any:
    """Upload ``upload``'s bytes in parts; the ``InputMedia`` that names them back."""
    uploaded = await client.upload_file(upload.data, file_name=upload.file_name)
    return input_media(uploaded, upload)


async def send_uploaded(
    client: Any, ref: PeerRef, upload: MediaUpload, media: Any, reply_to: int | None, random_id: int
) -> SentMessage:
    """Send the uploaded ``media`` to ``ref`` with the caller's ``random_id``."""

    async def send(input_peer: Any) -> SentMessage:
        request = functions.messages.SendMediaRequest(
            peer=input_peer,
            media=media,
            message=upload.caption,
            random_id=random_id,
            reply_to=None if reply_to is None else types.InputReplyToMessage(reply_to_msg_id=reply_to),
        )
        result = await client(request)
        message_id, date = sent_id_and_date(result, random_id)
        return SentMessage(message_id=message_id, date=date, peer=canonical_of(input_peer, ref))

    return await with_peer(client, ref, send)
