"""One message's attachment, fetched only as far as needed, ON the Telethon thread.

``fetch_media`` reads the message (one ``messages.getMessages`` or ``channels.getMessages``),
then decides from its kind what the caller can use inline, and downloads only that:

* a photo: the *smallest* size whose long side reaches ``MediaLimits.image_side`` (Telegram
  keeps ``s``/``m``/``x``/``y``/``w`` sizes), never one above ``image_max_bytes``;
* a static sticker or an image sent as a file: the file itself when small enough, else its
  largest thumbnail that is; ``thumbnail`` mode: a video's, animation's or file's thumbnail;
* a text-like document (text/*, JSON, CSV, XML, YAML …) up to ``text_max_bytes``;
* anything else (audio, video, large or binary files) is not downloaded: ``form="link"``;
  polls, locations, contacts and link previews have no file: ``form="none"``.

Downloads go through ``client.download_file`` on an explicit file location, so a
``FILE_REFERENCE_EXPIRED`` is ours to handle: the message is fetched again (which hands out
a fresh reference) and the download retried once. ``transcript`` mode asks Telegram's own
``messages.transcribeAudio`` and waits, up to ``transcript_wait``, for the
``updateTranscribedAudio`` that carries the text when the first answer is still pending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, Final

from telethon import errors as tl_errors
from telethon import events, utils
from telethon.tl import functions, types

from mctltg.errors import TelegramRpcError
from mctltg.telegram.error_map import ACTIONABLE
from mctltg.telegram.model import MediaContent, MediaForm, MediaInfo, MediaLimits, MediaMode, PeerRef
from mctltg.telegram.on_loop.convert_messages import media_info
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = ["IMAGE_MIME_TYPES", "fetch_images", "fetch_media", "is_text_like", "pick_photo_size"]

IMAGE_MIME_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"})
_TEXT_MIME_TYPES: Final = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/x-ndjson",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/csv",
        "application/sql",
        "application/javascript",
        "application/x-sh",
        "application/x-subrip",
    }
)
_TEXT_SUFFIXES: Final = frozenset(
    {".txt", ".md", ".csv", ".tsv", ".json", ".xml", ".yaml", ".yml", ".toml", ".ini", ".log", ".srt", ".vtt"}
)
_TRANSCRIBABLE: Final = frozenset({"voice", "video_note"})
_NO_FILE: Final = frozenset({"poll", "location", "contact", "webpage", "dice", "unsupported"})

#: (location, dc_id, size in bytes, MIME type of the bytes) of one downloadable file.
_Source = tuple[Any, int, int, str]


def is_text_like(mime_type: str | None, file_name: str | None) -> bool:
    """Whether a document reads as text: text/*, a textual application type, or a text suffix."""
    mime = (mime_type or "").lower()
    if mime.startswith("text/") or mime in _TEXT_MIME_TYPES:
        return True
    return bool(file_name) and PurePosixPath(file_name or "").suffix.lower() in _TEXT_SUFFIXES


def _size_bytes(size: Any) -> int | None:
    if isinstance(size, types.PhotoSize):
        return int(size.size)
    if isinstance(size, types.PhotoSizeProgressive) and size.sizes:
        return int(max(size.sizes))
    return None  # stripped, cached, path and empty sizes are not downloaded


def pick_photo_size(sizes: list[Any], side: int, max_bytes: int) -> Any | None:
    """The smallest size whose long side reaches ``side``, else the largest; never over ``max_bytes``."""
    usable = [s for s in sizes if (_size_bytes(s) or 0) and _size_bytes(s) <= max_bytes]  # type: ignore[operator]
    usable.sort(key=lambda s: s.w * s.h)
    for size in usable:
        if max(size.w, size.h) >= side:
            return size
    return usable[-1] if usable else None


async def _message(client: Any, input_peer: Any, message_id: int) -> Any:
    """The raw message ``message_id`` of this chat.

    Raises:
        TelegramRpcError: MSG_ID_INVALID when the chat has no such message.
    """
    if isinstance(input_peer, types.InputPeerChannel):
        channel = types.InputChannel(input_peer.channel_id, input_peer.access_hash)
        answer = await client(
            functions.channels.GetMessagesRequest(channel, [types.InputMessageID(message_id)])
        )
    else:
        answer = await client(functions.messages.GetMessagesRequest([types.InputMessageID(message_id)]))
    chat = await client.get_peer_id(input_peer)
    channel_answer = isinstance(input_peer, types.InputPeerChannel)
    for raw in getattr(answer, "messages", ()):
        found = isinstance(raw, types.Message | types.MessageService) and raw.id == message_id
        if found and (channel_answer or _peer_id(raw.peer_id) == chat):
            return raw
    raise TelegramRpcError("MSG_ID_INVALID", ACTIONABLE["MSG_ID_INVALID"])


def _peer_id(peer: Any) -> int:
    return int(utils.get_peer_id(peer))


def _photo_source(photo: Any, limits: MediaLimits) -> _Source | None:
    size = pick_photo_size(list(photo.sizes or ()), limits.image_side, limits.image_max_bytes)
    if size is None:
        return None
    location = types.InputPhotoFileLocation(
        id=photo.id, access_hash=photo.access_hash, file_reference=photo.file_reference, thumb_size=size.type
    )
    return location, int(photo.dc_id), _size_bytes(size) or 0, "image/jpeg"


def _document_location(document: Any, thumb: str = "") -> Any:
    return types.InputDocumentFileLocation(
        id=document.id,
        access_hash=document.access_hash,
        file_reference=document.file_reference,
        thumb_size=thumb,
    )


def _thumb_source(document: Any, limits: MediaLimits) -> _Source | None:
    size = pick_photo_size(list(document.thumbs or ()), limits.image_side, limits.image_max_bytes)
    if size is None:
        return None
    return _document_location(document, size.type), int(document.dc_id), _size_bytes(size) or 0, "image/jpeg"


def _whole(document: Any) -> _Source:
    mime = str(document.mime_type or "application/octet-stream")
    return _document_location(document), int(document.dc_id), int(document.size), mime


def _plan(
    raw: Any, info: MediaInfo, mode: MediaMode, limits: MediaLimits
) -> tuple[MediaForm, _Source | None]:
    """``(form, source)``: how the attachment comes back, and which bytes that needs."""
    media = raw.media
    if isinstance(media, types.MessageMediaPhoto) and isinstance(media.photo, types.Photo):
        source = _photo_source(media.photo, limits)
        return ("image", source) if source is not None else ("link", None)
    document = getattr(media, "document", None)
    if info.type in _NO_FILE or not isinstance(document, types.Document):
        return "none", None
    if mode == "thumbnail":
        source = _thumb_source(document, limits)
        return ("image", source) if source is not None else ("none", None)
    image = (info.mime_type or "") in IMAGE_MIME_TYPES and info.type in ("sticker", "document")
    if image:
        if int(document.size) <= limits.image_max_bytes:
            return "image", _whole(document)
        source = _thumb_source(document, limits)
        return ("image", source) if source is not None else ("link", None)
    if info.type == "document" and is_text_like(info.mime_type, info.file_name):
        return ("text", _whole(document)) if int(document.size) <= limits.text_max_bytes else ("link", None)
    return "link", None


async def _download(
    client: Any, input_peer: Any, message_id: int, raw: Any, pick: Callable[[Any], _Source | None]
) -> tuple[bytes, str]:
    """The bytes ``pick`` names; on an expired file reference, re-read the message and retry once."""
    for attempt in (1, 2):
        source = pick(raw)
        if source is None:  # the message changed under us: its media is gone
            raise TelegramRpcError("MEDIA_EMPTY", "That message no longer has the attachment; list it again.")
        location, dc_id, size, mime = source
        try:
            data = await client.download_file(location, file=bytes, file_size=size or None, dc_id=dc_id)
        except tl_errors.FileReferenceExpiredError:
            if attempt == 2:
                raise
            raw = await _message(client, input_peer, message_id)
            continue
        return bytes(data), mime
    raise AssertionError("unreachable: the loop returns or raises")


async def _transcribe(
    client: Any, input_peer: Any, message_id: int, info: MediaInfo, wait: float
) -> MediaContent:
    """Telegram's transcription of a voice note or round video, waiting for a pending one."""
    finished: dict[int, str] = {}
    arrived = asyncio.Event()

    async def on_update(update: Any) -> None:
        if not update.pending:
            finished[int(update.transcription_id)] = str(update.text)
            arrived.set()

    handler = events.Raw(types.UpdateTranscribedAudio)
    client.add_event_handler(on_update, handler)
    try:
        answer = await client(functions.messages.TranscribeAudioRequest(peer=input_peer, msg_id=message_id))
        key = int(answer.transcription_id)
        text, pending = str(answer.text or ""), bool(answer.pending)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while pending and key not in finished and loop.time() < deadline:
            arrived.clear()
            try:
                await asyncio.wait_for(arrived.wait(), deadline - loop.time())
            except TimeoutError:
                break
        if key in finished:
            text, pending = finished[key], False
    finally:
        client.remove_event_handler(on_update, handler)
    trial = getattr(answer, "trial_remains_num", None)
    return MediaContent(info=info, form="transcript", transcript=text, pending=pending, trial_remains=trial)


async def fetch_media(
    client: Any, ref: PeerRef, message_id: int, mode: MediaMode, limits: MediaLimits
) -> MediaContent:
    """Message ``message_id``'s attachment in ``ref``, fetched as ``mode`` and ``limits`` allow.

    Raises:
        TelegramRpcError: MSG_ID_INVALID for an unknown message; Telegram's own codes
            (PREMIUM_ACCOUNT_REQUIRED, TRANSCRIPTION_FAILED …) from a transcription.
    """

    async def fetch(input_peer: Any) -> MediaContent:
        raw = await _message(client, input_peer, message_id)
        info = None if isinstance(raw, types.MessageService) else media_info(raw.media)
        if info is None:
            return MediaContent(info=None, form="none")
        if mode == "transcript":
            if info.type not in _TRANSCRIBABLE:
                return MediaContent(info=info, form="none")
            return await _transcribe(client, input_peer, message_id, info, limits.transcript_wait)
        form, source = _plan(raw, info, mode, limits)
        if source is None:
            return MediaContent(info=info, form=form)

        def pick(message: Any) -> _Source | None:
            return _plan(message, info, mode, limits)[1]

        data, mime = await _download(client, input_peer, message_id, raw, pick)
        return MediaContent(info=info, form=form, data=data, mime_type=mime)

    return await with_peer(client, ref, fetch)


async def fetch_images(
    client: Any, ref: PeerRef, message_ids: tuple[int, ...], limits: MediaLimits, total_bytes: int
) -> dict[int, bytes]:
    """The photos of ``message_ids`` (JPEG bytes by message id), newest first, within ``total_bytes``.

    One ``getMessages`` for all of them; each photo's size is chosen as in ``fetch_media``
    and one that would pass ``total_bytes`` is skipped (a smaller one later may still fit).
    """
    if not message_ids:
        return {}

    async def fetch(input_peer: Any) -> dict[int, bytes]:
        ids = [types.InputMessageID(i) for i in message_ids]
        if isinstance(input_peer, types.InputPeerChannel):
            channel = types.InputChannel(input_peer.channel_id, input_peer.access_hash)
            answer = await client(functions.channels.GetMessagesRequest(channel, ids))
        else:
            answer = await client(functions.messages.GetMessagesRequest(ids))
        photos = [
            raw
            for raw in getattr(answer, "messages", ())
            if isinstance(raw, types.Message) and isinstance(raw.media, types.MessageMediaPhoto)
        ]
        out: dict[int, bytes] = {}
        spent = 0
        for raw in sorted(photos, key=lambda m: -int(m.id)):
            source = _photo_source(raw.media.photo, limits)
            if source is None or spent + source[2] > total_bytes:
                continue
            data, _ = await _download(client, input_peer, int(raw.id), raw, _photo_of(limits))
            spent += len(data)
            out[int(raw.id)] = data
        return out

    return await with_peer(client, ref, fetch)


def _photo_of(limits: MediaLimits) -> Callable[[Any], _Source | None]:
    def pick(raw: Any) -> _Source | None:
        photo = getattr(raw.media, "photo", None)
        return _photo_source(photo, limits) if isinstance(photo, types.Photo) else None

    return pick
