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

from mctltg.telegram.model import DialogKind, MediaInfo, Message
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


def _document_info(document: Any) -> MediaInfo:
    kind = "document"
    file_name = duration = width = height = None
    attributes = list(getattr(document, "attributes", None) or ())
    found = {type(a): a for a in attributes}
    audio = found.get(types.DocumentAttributeAudio)
    video = found.get(types.DocumentAttributeVideo)
    if types.DocumentAttributeSticker in found:
        kind = "sticker"
    elif audio is not None:
        kind = "voice" if audio.voice else "audio"
        duration = audio.duration
    elif video is not None:
        kind = "video_note" if video.round_message else "video"
    elif types.DocumentAttributeAnimated in found:
        kind = "animation"
    if video is not None:
        duration, width, height = video.duration, video.w, video.h
        if types.DocumentAttributeAnimated in found:
            kind = "animation"
    image = found.get(types.DocumentAttributeImageSize)
    if image is not None and width is None:
        width, height = image.w, image.h
    named = found.get(types.DocumentAttributeFilename)
    if named is not None:
        file_name = named.file_name
    return MediaInfo(
        type=kind,
        mime_type=getattr(document, "mime_type", None) or None,
        file_name=file_name or None,
        size=int(document.size) if getattr(document, "size", None) else None,
        duration=float(duration) if duration else None,
        width=width or None,
        height=height or None,
    )


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
    simple: dict[type[Any], str] = {
        types.MessageMediaWebPage: "web_page",
        types.MessageMediaContact: "contact",
        types.MessageMediaGeo: "location",
        types.MessageMediaGeoLive: "location",
        types.MessageMediaVenue: "location",
        types.MessageMediaPoll: "poll",
        types.MessageMediaDice: "dice",
    }
    return MediaInfo(type=simple.get(type(media), "unsupported"))


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
