"""Frozen values the sandbox hands out or takes in: messages, media and authorizations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["SandboxAuthorization", "SandboxMedia", "SandboxMessage", "SandboxPhoneUser"]


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


MediaKind = Literal["photo", "document", "voice", "video", "audio", "sticker"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxMedia:
    """A media attachment: only its metadata exists, there are no file bytes to download."""

    kind: MediaKind
    mime_type: str | None = None
    file_name: str | None = None
    size: int = 0
    duration: float | None = None
    width: int | None = None
    height: int | None = None

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError("media size cannot be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxAuthorization:
    """One logged-in device of an account, as recorded from ``InitConnection``."""

    key_id: int
    device_model: str
    system_version: str
    app_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxPhoneUser:
    """Someone one can log in as: a person with a phone number (bots and service accounts have none)."""

    user_id: int
    name: str
    phone: str  # "+<digits>"
    two_step: bool  # has a two-step verification password
