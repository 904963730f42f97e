"""Plain values the Telegram layer hands upward; no Telethon type ever leaves ``telegram/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["AccountProfile", "Dialog", "DialogKind", "PeerKind", "PeerRef"]

PeerKind = Literal["user", "chat", "channel", "username", "self"]
DialogKind = Literal["user", "bot", "group", "supergroup", "channel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerRef:
    """A peer as a caller named it: ``user:1``, ``chat:2``, ``channel:3``, ``@name`` or ``me``."""

    kind: PeerKind
    id: int | None = None
    username: str | None = None

    def __str__(self) -> str:
        if self.kind == "self":
            return "me"
        if self.kind == "username":
            return f"@{self.username}"
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialog:
    """One conversation in the account's dialog list."""

    peer: str
    kind: DialogKind
    title: str
    username: str | None
    unread_count: int
    unread_mentions_count: int
    muted: bool
    pinned: bool
    last_message_date: float | None
    last_message_id: int
    read_inbox_max_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountProfile:
    """Who the connected Telegram account is (no phone number: we never keep it)."""

    user_id: int
    username: str | None
    display_name: str
