"""Pure conversions from Telethon objects to ``telegram.model`` values.

Nothing here calls Telegram; these functions only read attributes, so they are
cheap to run on the Telethon thread and easy to test with the sandbox's objects.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Final

from telethon.tl import types

from mctltg.telegram.model import AccountProfile, Dialog, DialogKind

__all__ = [
    "SAVED_MESSAGES",
    "canonical_peer_of",
    "chat_title",
    "dialog_from_telethon",
    "display_name",
    "profile_from_user",
    "timestamp",
]

#: The account's chat with itself, named as Telegram's own apps name it, in every result.
SAVED_MESSAGES: Final = "Saved Messages"


def timestamp(value: Any) -> float | None:
    """Seconds since the epoch for a Telethon datetime (always UTC), or None."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return None


def canonical_peer_of(entity: Any) -> str:
    """``user:<id>`` / ``chat:<id>`` / ``channel:<id>`` for an entity or Peer object."""
    if isinstance(entity, (types.User, types.UserEmpty, types.PeerUser, types.InputPeerUser)):
        return f"user:{getattr(entity, 'user_id', None) or entity.id}"
    if isinstance(
        entity, (types.Chat, types.ChatForbidden, types.ChatEmpty, types.PeerChat, types.InputPeerChat)
    ):
        return f"chat:{getattr(entity, 'chat_id', None) or entity.id}"
    if isinstance(entity, (types.Channel, types.ChannelForbidden, types.PeerChannel, types.InputPeerChannel)):
        return f"channel:{getattr(entity, 'channel_id', None) or entity.id}"
    raise TypeError(f"not a peer: {type(entity).__name__}")


def display_name(entity: Any) -> str:
    """A person's first and last name, or a chat's title; never a phone number."""
    if isinstance(entity, types.User):
        if entity.deleted:
            return "Deleted Account"
        name = " ".join(part for part in (entity.first_name, entity.last_name) if part)
        return name or (f"@{entity.username}" if entity.username else f"user {entity.id}")
    return str(getattr(entity, "title", "") or "")


def chat_title(entity: Any) -> str:
    """The name of a chat: ``display_name``, except the account's own chat is "Saved Messages"."""
    if isinstance(entity, types.User) and entity.is_self:
        return SAVED_MESSAGES
    return display_name(entity)


def _dialog_kind(entity: Any) -> DialogKind:
    if isinstance(entity, types.User):
        return "bot" if entity.bot else "user"
    if isinstance(entity, types.Channel):
        return "supergroup" if entity.megagroup else "channel"
    return "group"


def dialog_from_telethon(dialog: Any, *, now: float | None = None) -> Dialog:
    """A ``Dialog`` from Telethon's ``custom.Dialog`` wrapper."""
    entity = dialog.entity
    raw = dialog.dialog
    mute_until = timestamp(getattr(raw.notify_settings, "mute_until", None)) if raw.notify_settings else None
    now = time.time() if now is None else now
    message = dialog.message
    return Dialog(
        peer=canonical_peer_of(entity),
        kind=_dialog_kind(entity),
        title=chat_title(entity),
        username=getattr(entity, "username", None) or None,
        unread_count=int(raw.unread_count or 0),
        unread_mentions_count=int(raw.unread_mentions_count or 0),
        muted=bool(mute_until and mute_until > now),
        pinned=bool(raw.pinned),
        last_message_date=timestamp(getattr(message, "date", None)),
        last_message_id=int(raw.top_message or 0),
        read_inbox_max_id=int(raw.read_inbox_max_id or 0),
        forum=bool(getattr(entity, "forum", False)),
    )


def profile_from_user(user: Any) -> AccountProfile:
    return AccountProfile(
        user_id=int(user.id),
        username=user.username or None,
        display_name=display_name(user),
        premium=bool(getattr(user, "premium", False)),
    )
