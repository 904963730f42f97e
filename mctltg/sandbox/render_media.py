"""Turn one attachment into the ``MessageMedia*`` TL object Telegram would send.

Photos carry the sizes Telegram keeps (``s``/``m``/``x`` as ``PhotoSize``, the largest as
``PhotoSizeProgressive``); documents carry their attributes (file name, image size, audio
with a voice waveform, video or round video, sticker, animation) and thumbnails; polls
carry their results, locations their point, contacts their card, link previews their page.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Final

from telethon.tl import types

from mctltg.sandbox.tl import build

if TYPE_CHECKING:
    from mctltg.sandbox.media import PhotoVariant
    from mctltg.sandbox.values import SandboxMedia

__all__ = ["DEFAULT_MIME", "FileHandle", "media_tl"]

DEFAULT_MIME: Final[dict[str, str]] = {
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "video_note": "video/mp4",
    "animation": "video/mp4",
    "sticker": "image/webp",
}


class FileHandle:
    """What a viewer holds to download an attachment: id, access hash, reference, DC."""

    __slots__ = ("access_hash", "dc_id", "file_reference", "id")

    def __init__(self, id: int, access_hash: int, file_reference: bytes, dc_id: int) -> None:  # noqa: A002
        self.id = id
        self.access_hash = access_hash
        self.file_reference = file_reference
        self.dc_id = dc_id


def _size_tl(variant: PhotoVariant) -> Any:
    if variant.progressive:
        size = variant.blob.size
        steps = sorted({max(1, size // 8), max(1, size // 2), size})
        return build(
            types.PhotoSizeProgressive, type=variant.type, w=variant.width, h=variant.height, sizes=steps
        )
    return build(
        types.PhotoSize, type=variant.type, w=variant.width, h=variant.height, size=variant.blob.size
    )


def _photo_tl(media: SandboxMedia, handle: FileHandle, when: datetime.datetime) -> Any:
    if media.sizes:
        sizes = [_size_tl(v) for v in media.sizes]
    else:  # metadata-only photo (tests that build one by hand)
        width, height = media.width or 1280, media.height or 960
        sizes = [build(types.PhotoSize, type="y", w=width, h=height, size=media.size)]
    photo = build(
        types.Photo,
        id=handle.id,
        access_hash=handle.access_hash,
        file_reference=handle.file_reference,
        date=when,
        sizes=sizes,
        dc_id=handle.dc_id,
    )
    return build(types.MessageMediaPhoto, photo=photo)


def _attributes(media: SandboxMedia) -> list[Any]:
    out: list[Any] = []
    duration = media.duration or 0.0
    if media.kind in ("voice", "audio"):
        out.append(
            build(
                types.DocumentAttributeAudio,
                duration=int(duration),
                voice=media.kind == "voice",
                waveform=media.waveform,
                title=media.title,
                performer=media.performer,
            )
        )
    elif media.kind in ("video", "video_note", "animation"):
        w, h = media.width or 1280, media.height or 720
        out.append(
            build(
                types.DocumentAttributeVideo,
                duration=duration,
                w=w,
                h=h,
                round_message=media.kind == "video_note",
                supports_streaming=media.kind != "video_note",
                nosound=media.kind == "animation",
            )
        )
        if media.kind == "animation":
            out.append(types.DocumentAttributeAnimated())
    elif media.kind == "sticker":
        sticker_set = types.InputStickerSetEmpty()
        out.append(build(types.DocumentAttributeSticker, alt="🙂", stickerset=sticker_set))
        out.append(build(types.DocumentAttributeImageSize, w=media.width or 512, h=media.height or 512))
    elif media.width and media.height:  # an image sent as a file
        out.append(build(types.DocumentAttributeImageSize, w=media.width, h=media.height))
    if media.file_name:
        out.append(types.DocumentAttributeFilename(file_name=media.file_name))
    return out


def _document_tl(media: SandboxMedia, handle: FileHandle, when: datetime.datetime) -> Any:
    document = build(
        types.Document,
        id=handle.id,
        access_hash=handle.access_hash,
        file_reference=handle.file_reference,
        date=when,
        mime_type=media.mime_type or DEFAULT_MIME.get(media.kind, "application/octet-stream"),
        size=media.size,
        dc_id=handle.dc_id,
        attributes=_attributes(media),
        thumbs=[_size_tl(v) for v in media.thumbs] or None,
    )
    return build(
        types.MessageMediaDocument,
        document=document,
        voice=media.kind == "voice",
        video=media.kind in ("video", "animation"),
        round=media.kind == "video_note",
    )


def _poll_tl(media: SandboxMedia, media_id: int) -> Any:
    poll = media.poll
    assert poll is not None  # kind "poll" carries one
    answers = [
        build(
            types.PollAnswer,
            text=build(types.TextWithEntities, text=option, entities=[]),
            option=bytes([index]),
        )
        for index, option in enumerate(poll.options)
    ]
    results = build(
        types.PollResults,
        results=[
            build(types.PollAnswerVoters, option=bytes([index]), voters=votes, recent_voters=[])
            for index, votes in enumerate(poll.votes)
        ],
        total_voters=sum(poll.votes),
    )
    question = build(types.TextWithEntities, text=poll.question, entities=[])
    body = build(
        types.Poll,
        id=media_id,
        question=question,
        answers=answers,
        hash=0,
        closed=poll.closed,
        quiz=poll.quiz,
    )
    return build(types.MessageMediaPoll, poll=body, results=results)


def media_tl(media: SandboxMedia, handle: FileHandle, when: datetime.datetime) -> Any:
    """The ``MessageMedia*`` for ``media`` as the holder of ``handle`` sees it."""
    if media.kind == "photo":
        return _photo_tl(media, handle, when)
    if media.kind == "poll":
        return _poll_tl(media, handle.id)
    if media.kind == "location":
        assert media.geo is not None  # kind "location" carries one
        lat, long = media.geo
        return build(
            types.MessageMediaGeo,
            geo=build(types.GeoPoint, long=long, lat=lat, access_hash=handle.access_hash),
        )
    if media.kind == "contact":
        card = media.contact
        assert card is not None  # kind "contact" carries one
        return build(
            types.MessageMediaContact,
            phone_number=card.phone,
            first_name=card.first_name,
            last_name=card.last_name,
            vcard="",
            user_id=card.user_id,
        )
    if media.kind == "webpage":
        page = media.webpage
        assert page is not None  # kind "webpage" carries one
        webpage = build(
            types.WebPage,
            id=handle.id,
            url=page.url,
            display_url=page.url.removeprefix("https://"),
            hash=0,
            type="article",
            site_name=page.site_name,
            title=page.title,
            description=page.description,
        )
        return build(types.MessageMediaWebPage, webpage=webpage)
    return _document_tl(media, handle, when)
