"""Uploads and media sends: ``upload.saveFilePart``, ``upload.saveBigFilePart``,
``messages.uploadMedia`` and ``messages.sendMedia``, with Telegram's rules and error strings.

A file arrives in numbered parts under a client-chosen file id. Small files
(``saveFilePart``, up to 10 MB) name their part count and MD5 only when used
(``InputFile``); big files (``saveBigFilePart``) declare the total with every part and
are used as ``InputFileBig``. Every part but the last must be a multiple of 1 KiB that
divides 512 KiB (``FILE_PART_SIZE_INVALID``); at most 512 KiB (``FILE_PART_TOO_BIG``);
part numbers count from 0 (``FILE_PART_INVALID``); a part missing when the file is used is
``FILE_PART_<n>_MISSING``; a wrong part count ``FILE_PARTS_INVALID``; a wrong MD5
``MD5_CHECKSUM_INVALID``. A photo must be an image Pillow opens (``IMAGE_PROCESS_FAILED``),
of at most 10 MB (``PHOTO_SAVE_FILE_INVALID``) and sane dimensions
(``PHOTO_INVALID_DIMENSIONS``). ``sendMedia`` posts the message with its media, so a
later ``getHistory`` shows it; a ``random_id`` used before is ``RANDOM_ID_DUPLICATE``.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import Any, Final

import PIL.Image
from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import Draft, RpcFault, post
from mctltg.sandbox.media import Blob
from mctltg.sandbox.media_samples import photo_sizes
from mctltg.sandbox.peers import resolve_peer
from mctltg.sandbox.render import attachment_tl, updates_tl
from mctltg.sandbox.state import UploadRecord, WorldState
from mctltg.sandbox.tl import build
from mctltg.sandbox.values import SandboxMedia

__all__ = ["ROUTES", "assemble", "media_of"]

PART_MAX: Final = 512 * 1024
SMALL_PARTS_MAX: Final = 4000
BIG_PARTS_MAX: Final = 8000
PHOTO_MAX: Final = 10 * 1024 * 1024
CAPTION_MAX: Final = 1024


def save_file_part(call: Call, request: Any) -> Any:
    record = _part(call, request.file_id, request.file_part, request.bytes, SMALL_PARTS_MAX)
    if record.big:
        raise RpcFault(400, "FILE_PARTS_INVALID")
    record.parts[request.file_part] = bytes(request.bytes)
    return True


def save_big_file_part(call: Call, request: Any) -> Any:
    total = request.file_total_parts
    if not 0 < total <= BIG_PARTS_MAX:
        raise RpcFault(400, "FILE_PARTS_INVALID")
    record = _part(call, request.file_id, request.file_part, request.bytes, BIG_PARTS_MAX, big=True)
    if not record.big or record.total_parts not in (None, total):
        raise RpcFault(400, "FILE_PARTS_INVALID")
    if request.file_part >= total:
        raise RpcFault(400, "FILE_PART_INVALID")
    if request.file_part < total - 1 and not _regular(len(request.bytes)):
        raise RpcFault(400, "FILE_PART_SIZE_INVALID")
    record.total_parts = total
    record.parts[request.file_part] = bytes(request.bytes)
    return True


def _part(
    call: Call, file_id: int, index: int, data: bytes, limit: int, *, big: bool = False
) -> UploadRecord:
    if not 0 <= index < limit:
        raise RpcFault(400, "FILE_PART_INVALID")
    if not data:
        raise RpcFault(400, "FILE_PART_EMPTY")
    if len(data) > PART_MAX:
        raise RpcFault(400, "FILE_PART_TOO_BIG")
    return call.state.uploads.setdefault((call.me, file_id), UploadRecord(big=big))


def _regular(size: int) -> bool:
    """Telegram's rule for every part but the last: a multiple of 1 KiB dividing 512 KiB."""
    return size > 0 and size % 1024 == 0 and PART_MAX % size == 0


def assemble(state: WorldState, owner: int, input_file: Any) -> bytes:
    """The bytes of an uploaded ``InputFile``/``InputFileBig``, checked as Telegram checks them.

    Raises:
        RpcFault: a part is missing, the count, sizes or MD5 are wrong.
    """
    record = state.uploads.get((owner, input_file.id))
    big = isinstance(input_file, types.InputFileBig)
    count = input_file.parts
    if record is None:
        raise RpcFault(400, "FILE_PART_0_MISSING")
    if record.big != big or not 0 < count <= (BIG_PARTS_MAX if big else SMALL_PARTS_MAX):
        raise RpcFault(400, "FILE_PARTS_INVALID")
    if (big and record.total_parts != count) or any(index >= count for index in record.parts):
        raise RpcFault(400, "FILE_PARTS_INVALID")
    for index in range(count):
        if index not in record.parts:
            raise RpcFault(400, "FILE_PART_0_MISSING" if index == 0 else f"FILE_PART_{index}_MISSING")
    sizes = {len(record.parts[index]) for index in range(count - 1)}
    if len(sizes) > 1 or not all(_regular(size) for size in sizes):
        raise RpcFault(400, "FILE_PART_SIZE_INVALID")
    data = b"".join(record.parts[index] for index in range(count))
    checksum = getattr(input_file, "md5_checksum", "")
    if checksum and checksum != hashlib.md5(data).hexdigest():
        raise RpcFault(400, "MD5_CHECKSUM_INVALID")
    return data


def _photo(data: bytes) -> SandboxMedia:
    """The photo Telegram keeps of an uploaded image: re-encoded JPEG sizes (``s`` … ``w``)."""
    if len(data) > PHOTO_MAX:
        raise RpcFault(400, "PHOTO_SAVE_FILE_INVALID")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(io.BytesIO(data)) as image:
                image.load()
                width, height = image.size
                if width + height > 10_000 or max(width, height) > 20 * min(width, height):
                    raise RpcFault(400, "PHOTO_INVALID_DIMENSIONS")
                sizes = photo_sizes(image)
    except RpcFault:
        raise
    except Exception:  # any Pillow failure is Telegram's "could not process the image"
        raise RpcFault(400, "IMAGE_PROCESS_FAILED") from None
    return SandboxMedia(kind="photo", size=sizes[-1].blob.size, width=width, height=height, sizes=sizes)


def _document(data: bytes, media: Any) -> SandboxMedia:
    attributes = list(media.attributes or ())
    name = next((a.file_name for a in attributes if isinstance(a, types.DocumentAttributeFilename)), None)
    audio = next((a for a in attributes if isinstance(a, types.DocumentAttributeAudio)), None)
    video = next((a for a in attributes if isinstance(a, types.DocumentAttributeVideo)), None)
    animated = any(isinstance(a, types.DocumentAttributeAnimated) for a in attributes)
    kind: Any = "document"
    duration: float | None = None
    width = height = None
    if audio is not None and not media.force_file:
        kind, duration = ("voice" if audio.voice else "audio"), float(audio.duration)
    elif (video is not None or animated) and not media.force_file:
        round_video = video is not None and bool(video.round_message)
        kind = "animation" if animated else ("video_note" if round_video else "video")
        if video is not None:
            duration, width, height = float(video.duration), video.w or None, video.h or None
    return SandboxMedia(
        kind=kind,
        mime_type=media.mime_type or "application/octet-stream",
        file_name=name or getattr(media.file, "name", None) or None,
        size=len(data),
        duration=duration,
        width=width,
        height=height,
        content=Blob.of(data),
    )


def media_of(call: Call, media: Any) -> tuple[SandboxMedia, tuple[int, int] | None]:
    """The media an ``InputMedia`` stands for, and the upload it consumes (if any).

    Raises:
        RpcFault: the upload is incomplete or not what its kind needs; ``MEDIA_EMPTY`` for
            media the sandbox does not model.
    """
    if isinstance(media, types.InputMediaUploadedPhoto):
        return _photo(assemble(call.state, call.me, media.file)), (call.me, media.file.id)
    if isinstance(media, types.InputMediaUploadedDocument):
        data = assemble(call.state, call.me, media.file)
        return _document(data, media), (call.me, media.file.id)
    if isinstance(media, (types.InputMediaPhoto, types.InputMediaDocument)):
        known = call.state.media_files.get(getattr(media.id, "id", 0))
        if known is None:
            raise RpcFault(400, "MEDIA_INVALID")
        return known, None
    raise RpcFault(400, "MEDIA_EMPTY")


def upload_media(call: Call, request: Any) -> Any:
    resolve_peer(call.state, call.me, request.peer)
    media, upload = media_of(call, request.media)
    call.state.next_media_id += 1  # filed like posted media (engine), so getFile and sendMedia find it
    media_id = call.state.next_media_id
    call.state.media_files[media_id] = media
    if upload is not None:
        call.state.uploads.pop(upload, None)
    return attachment_tl(call.state, call.me, media, media_id, call.now)


def send_media(call: Call, request: Any) -> Any:
    me = call.me
    peer = resolve_peer(call.state, me, request.peer)
    if (me, request.random_id) in call.state.media_random_ids:
        raise RpcFault(500, "RANDOM_ID_DUPLICATE")
    caption = request.message or ""
    if len(caption) > CAPTION_MAX:
        raise RpcFault(400, "MEDIA_CAPTION_TOO_LONG")
    media, upload = media_of(call, request.media)
    reply_to = (
        request.reply_to.reply_to_msg_id if isinstance(request.reply_to, types.InputReplyToMessage) else None
    )
    draft = Draft(
        sender=me, peer=peer, text=caption, date=call.now, reply_to=reply_to, media=media,
        silent=bool(request.silent),
    )  # fmt: skip
    change = post(call.state, draft, exclude=call.endpoint)
    call.state.media_random_ids.add((me, request.random_id))
    if upload is not None:
        call.state.uploads.pop(upload, None)
    sent = build(types.UpdateMessageID, id=change.update.message.id, random_id=request.random_id)
    return updates_tl(call.state, me, [sent, change.update], change.peers, call.now)


ROUTES: tuple[Route, ...] = (
    Route(functions.upload.SaveFilePartRequest, save_file_part),
    Route(functions.upload.SaveBigFilePartRequest, save_big_file_part),
    Route(functions.messages.UploadMediaRequest, upload_media),
    Route(functions.messages.SendMediaRequest, send_media),
)
