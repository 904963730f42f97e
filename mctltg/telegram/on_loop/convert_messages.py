"""Pure conversions from raw Telethon message answers to ``telegram.model`` values.

The read tools call Telegram's raw methods (``messages.getHistory``, ``getMessages``,
``search`` …) so they control exactly how many RPCs a call costs; those answers carry
their own ``users`` and ``chats``. ``Entities`` indexes them, and ``message_from_tl``
turns each message into a ``Message`` with the peer's title and the sender's name taken
from that index. Nothing here calls Telegram.
"""

from __future__ import annotations

from typing import Any, Final

from telethon.tl import types

from mctltg.telegram.model import DialogKind, MediaInfo, Message, PollOption
from mctltg.telegram.on_loop.convert import canonical_peer_of, chat_title, display_name, timestamp

__all__ = [
    "GENERAL_TOPIC",
    "OFFICIAL_USER_ID",
    "Entities",
    "entity_kind",
    "is_muted",
    "media_info",
    "message_from_tl",
]

#: Telegram's own service account: login codes and security notices come from it.
OFFICIAL_USER_ID: Final = 777000
#: A forum's "General" topic: every message in no other topic.
GENERAL_TOPIC: Final = 1


class Entities:
    """The users and chats of one answer, by canonical peer id (``user:1`` …)."""

    def __init__(self, answer: Any) -> None:
        self._by_peer: dict[str, Any] = {}
        for entity in (*getattr(answer, "users", ()), *getattr(answer, "chats", ())):
            try:
                self._by_peer[canonical_peer_of(entity)] = entity
            except TypeError:
                continue
        self.topics: dict[int, str] = {
            int(t.id): str(t.title) for t in getattr(answer, "topics", None) or () if hasattr(t, "title")
        }

    def get(self, peer: str) -> Any | None:
        return self._by_peer.get(peer)

    def title(self, peer: str) -> str:
        entity = self._by_peer.get(peer)
        return chat_title(entity) if entity is not None else ""


def entity_kind(entity: Any) -> DialogKind:
    """``user``, ``bot``, ``group`` (basic), ``supergroup`` or ``channel`` (broadcast)."""
    if isinstance(entity, types.User):
        return "bot" if entity.bot else "user"
    if isinstance(entity, types.Channel):
        return "supergroup" if entity.megagroup else "channel"
    return "group"


def is_muted(notify_settings: Any, now: float) -> bool:
    until = timestamp(getattr(notify_settings, "mute_until", None)) if notify_settings else None
    return bool(until and until > now)


def _sender_ref(entity: Any, peer: str) -> str:
    username = getattr(entity, "username", None)
    return f"@{username}" if username else peer


def _link(entity: Any, message_id: int) -> str | None:
    """The t.me link of a channel or supergroup message; private chats have none."""
    if not isinstance(entity, types.Channel):
        return None
    if entity.username:
        return f"https://t.me/{entity.username}/{message_id}"
    return f"https://t.me/c/{entity.id}/{message_id}"


def _largest_photo_size(sizes: list[Any]) -> tuple[int | None, int | None, int | None]:
    best: tuple[int, int, int | None] | None = None
    for size in sizes or ():
        if isinstance(size, types.PhotoSize):
            candidate = (size.w, size.h, size.size)
        elif isinstance(size, types.PhotoSizeProgressive):
            candidate = (size.w, size.h, max(size.sizes) if size.sizes else None)
        elif isinstance(size, types.PhotoCachedSize):
            candidate = (size.w, size.h, len(size.bytes))
        else:
            continue
        if best is None or candidate[0] * candidate[1] > best[0] * best[1]:
            best = candidate
    return best if best is not None else (None, None, None)


def _document_kind(found: dict[type[Any], Any]) -> str:
    audio = found.get(types.DocumentAttributeAudio)
    video = found.get(types.DocumentAttributeVideo)
    if types.DocumentAttributeSticker in found:
        return "sticker"
    if types.DocumentAttributeAnimated in found:
        return "animation"
    if video is not None:
        return "video_note" if video.round_message else "video"
    if audio is not None:
        return "voice" if audio.voice else "audio"
    return "document"


def _document_info(document: Any) -> MediaInfo:
    found = {type(a): a for a in getattr(document, "attributes", None) or ()}
    kind = _document_kind(found)
    audio = found.get(types.DocumentAttributeAudio)
    video = found.get(types.DocumentAttributeVideo)
    image = found.get(types.DocumentAttributeImageSize)
    sticker = found.get(types.DocumentAttributeSticker)
    named = found.get(types.DocumentAttributeFilename)
    duration = video.duration if video is not None else getattr(audio, "duration", None)
    width, height = (
        (video.w, video.h) if video is not None else (getattr(image, "w", None), getattr(image, "h", None))
    )
    return MediaInfo(
        type=kind,
        mime_type=getattr(document, "mime_type", None) or None,
        file_name=getattr(named, "file_name", None) or None,
        size=int(document.size) if getattr(document, "size", None) else None,
        duration=float(duration) if duration else None,
        width=width or None,
        height=height or None,
        title=getattr(audio, "title", None) or None,
        performer=getattr(audio, "performer", None) or None,
        emoji=getattr(sticker, "alt", None) or None,
    )


def _text_of(value: Any) -> str:
    """A ``TextWithEntities`` (layer 178+) or a plain string, as text."""
    return str(getattr(value, "text", value) or "")


def _poll_info(media: Any) -> MediaInfo:
    poll, results = media.poll, media.results
    counts = {bytes(r.option): r.voters for r in getattr(results, "results", None) or ()}
    options = tuple(
        PollOption(text=_text_of(answer.text), votes=counts.get(bytes(answer.option)))
        for answer in poll.answers
    )
    return MediaInfo(
        type="poll",
        question=_text_of(poll.question),
        options=options,
        voters=getattr(results, "total_voters", None),
        closed=bool(poll.closed),
    )


def _webpage_info(page: Any) -> MediaInfo:
    if not isinstance(page, types.WebPage):
        url = getattr(page, "url", None)
        return MediaInfo(type="webpage", url=url or None)
    return MediaInfo(
        type="webpage",
        url=page.url or None,
        site_name=page.site_name or None,
        title=page.title or None,
        description=page.description or None,
    )


def _place_info(media: Any) -> MediaInfo:
    geo = getattr(media, "geo", None)
    title = getattr(media, "title", None) or None  # a venue's name
    if not isinstance(geo, types.GeoPoint):
        return MediaInfo(type="location", title=title)
    return MediaInfo(type="location", latitude=float(geo.lat), longitude=float(geo.long), title=title)


def media_info(media: Any) -> MediaInfo | None:
    """A summary of a message's attachment, or None when it has none."""
    if media is None or isinstance(media, types.MessageMediaEmpty):
        return None
    if isinstance(media, types.MessageMediaPhoto):
        width, height, size = _largest_photo_size(getattr(media.photo, "sizes", []))
        return MediaInfo(type="photo", size=size or None, width=width or None, height=height or None)
    if isinstance(media, types.MessageMediaDocument):
        if not isinstance(media.document, types.Document):
            return MediaInfo(type="document")
        return _document_info(media.document)
    if isinstance(media, types.MessageMediaPoll):
        return _poll_info(media)
    if isinstance(media, types.MessageMediaWebPage):
        return _webpage_info(media.webpage)
    if isinstance(media, types.MessageMediaGeo | types.MessageMediaGeoLive | types.MessageMediaVenue):
        return _place_info(media)
    if isinstance(media, types.MessageMediaContact):
        name = " ".join(part for part in (media.first_name, media.last_name) if part)
        return MediaInfo(
            type="contact",
            phone=media.phone_number or None,
            contact_name=name or None,
            contact_user_id=int(media.user_id) or None,
        )
    if isinstance(media, types.MessageMediaDice):
        return MediaInfo(type="dice", emoji=media.emoticon or None)
    return MediaInfo(type="unsupported")


def message_from_tl(message: Any, entities: Entities) -> Message | None:
    """A ``Message`` from a ``Message``/``MessageService``; None for ``MessageEmpty``."""
    if not isinstance(message, (types.Message, types.MessageService)):
        return None
    peer = canonical_peer_of(message.peer_id)
    peer_entity = entities.get(peer)
    out = bool(message.out)
    sender: str | None = None
    sender_name: str | None = None
    sender_peer: str | None = None
    if not out:
        if message.from_id is not None:
            sender_peer = canonical_peer_of(message.from_id)
        elif peer.startswith("user:"):
            sender_peer = peer  # incoming private messages carry no from_id
    if sender_peer is not None and not (sender_peer == peer and peer.startswith("channel:")):
        entity = entities.get(sender_peer)
        sender = _sender_ref(entity, sender_peer)
        sender_name = display_name(entity) if entity is not None else None
    reply_to, topic_id = _reply_and_topic(message.reply_to, peer_entity)
    date = timestamp(message.date)
    is_service = isinstance(message, types.MessageService)
    return Message(
        id=int(message.id),
        peer=peer,
        peer_title=chat_title(peer_entity) if peer_entity is not None else "",
        sender=sender,
        sender_name=sender_name,
        date=date if date is not None else 0.0,
        text="" if is_service else (message.message or ""),
        reply_to=reply_to,
        out=out,
        mentioned=bool(message.mentioned),
        service=is_service,
        official=OFFICIAL_USER_ID in (_bare_id(sender_peer), _bare_id(peer)),
        media=None if is_service else media_info(message.media),
        link=_link(peer_entity, int(message.id)),
        topic_id=topic_id,
        topic_title=entities.topics.get(topic_id) if topic_id is not None else None,
    )


def _reply_and_topic(reply: Any, peer_entity: Any) -> tuple[int | None, int | None]:
    """``(reply_to, topic_id)``: in a forum, replying to the topic's top message is no reply.

    A forum message outside every topic is in "General", topic 1.
    """
    if not isinstance(reply, types.MessageReplyHeader):
        return None, (GENERAL_TOPIC if getattr(peer_entity, "forum", False) else None)
    if not reply.forum_topic:
        general = GENERAL_TOPIC if getattr(peer_entity, "forum", False) else None
        return reply.reply_to_msg_id, general
    if reply.reply_to_top_id:
        return reply.reply_to_msg_id, int(reply.reply_to_top_id)
    return None, int(reply.reply_to_msg_id)


def _bare_id(peer: str | None) -> int | None:
    if peer is None or not peer.startswith("user:"):
        return None
    return int(peer.removeprefix("user:"))
