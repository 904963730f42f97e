"""Frozen values the sandbox hands out or takes in: messages, media and authorizations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mctltg.sandbox.media import Blob, PhotoVariant, SandboxContact, SandboxPoll, SandboxWebPage

__all__ = ["SandboxAuthorization", "SandboxMedia", "SandboxMessage"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxMessage:
    """One message as one account sees it (ids are that account's ids).

    ``peer`` is the chat from the viewer's side (``user:<id>``, ``chat:<id>`` or
    ``channel:<id>``); ``sender`` is ``None`` for broadcast channel posts.
    """

    id: int
    peer: str
    sender: int | None
    text: str
    date: float
    out: bool
    service: bool
    reply_to: int | None
    pinned: bool
    edited: bool = False
    forwarded: bool = False
    reactions: tuple[str, ...] = ()  # every reaction on it, one emoji per reactor


MediaKind = Literal[
    "photo",
    "document",
    "voice",
    "video",
    "video_note",
    "audio",
    "sticker",
    "animation",
    "poll",
    "location",
    "contact",
    "webpage",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxMedia:
    """A media attachment: its metadata, and (when ``content`` or ``sizes`` are set) its bytes.

    Without ``content`` a document has metadata only (``upload.getFile`` answers
    ``FILE_ID_INVALID`` for it); a photo's bytes are its ``sizes``. ``thumbs`` are a
    document's thumbnails. ``poll``/``geo``/``contact``/``webpage`` carry the other kinds.
    """

    kind: MediaKind
    mime_type: str | None = None
    file_name: str | None = None
    size: int = 0
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    content: Blob | None = None
    sizes: tuple[PhotoVariant, ...] = ()  # a photo's sizes, smallest first
    thumbs: tuple[PhotoVariant, ...] = ()  # a document's thumbnails
    waveform: bytes | None = None  # voice notes: 5-bit samples, as Telegram packs them
    transcript: str | None = None  # what messages.transcribeAudio answers for it
    title: str | None = None  # audio: the track title
    performer: str | None = None
    poll: SandboxPoll | None = None
    geo: tuple[float, float] | None = None  # (latitude, longitude)
    contact: SandboxContact | None = None
    webpage: SandboxWebPage | None = None

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError("media size cannot be negative")
        if self.content is not None and self.content.size != self.size:
            raise ValueError("a document's size must be its content's size")


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxAuthorization:
    """One logged-in device of an account, as recorded from ``InitConnection``."""

    key_id: int
    device_model: str
    system_version: str
    app_version: str
