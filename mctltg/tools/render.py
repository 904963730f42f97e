"""Pure rendering of domain values into the compact shapes tools return.

Empty fields are left out, dates are RFC 3339 UTC, names pass through the
untrusted-content sanitizer (Telegram names are user-controlled text).
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any, Final

from mctltg.telegram.model import Dialog

__all__ = ["clean_name", "compact_date", "render_dialog", "rfc3339"]

NAME_MAX: Final = 100
_INVISIBLE: Final = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")


def compact_date(seconds: float) -> str:
    """The one date form results use: RFC 3339 in UTC to the second, ``2024-05-01T09:30:00Z``.

    Telegram keeps whole seconds, so no fraction is ever written.
    """
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


def rfc3339(seconds: float | None) -> str | None:
    """``compact_date``, or None for a missing date."""
    return None if seconds is None else compact_date(seconds)


def clean_name(text: str | None) -> str:
    """A single-line, visible-characters-only name, at most ``NAME_MAX`` characters."""
    if not text:
        return ""
    text = _INVISIBLE.sub("", text)
    if not text.isprintable():  # the common name is printable and needs no walk per character
        text = "".join(
            " " if ch in "\r\n\t" else ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\r\n\t"
        )
    text = " ".join(text.split())
    return text if len(text) <= NAME_MAX else text[: NAME_MAX - 1] + "…"


def render_dialog(dialog: Dialog) -> dict[str, Any]:
    out: dict[str, Any] = {
        "peer": dialog.peer,
        "type": dialog.kind,
        "title": clean_name(dialog.title),
        "unread_count": dialog.unread_count,
    }
    if dialog.username:
        out["username"] = f"@{dialog.username}"
    if dialog.unread_mentions_count:
        out["unread_mentions_count"] = dialog.unread_mentions_count
    if dialog.muted:
        out["muted"] = True
    if dialog.pinned:
        out["pinned"] = True
    if dialog.last_message_date is not None:
        out["last_message_date"] = rfc3339(dialog.last_message_date)
    return out
