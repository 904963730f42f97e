"""Pure rendering of domain values into the compact shapes tools return.

Empty fields are left out, dates have one form (RFC 3339 UTC to the second), names pass
through the untrusted-content sanitizer (Telegram names are user-controlled text).
"""

from __future__ import annotations

import time
from typing import Any

from mctltg.telegram.model import Dialog
from mctltg.tools.content import sanitize_name

__all__ = ["compact_date", "render_dialog", "rfc3339"]


def compact_date(seconds: float) -> str:
    """The one date form results use: RFC 3339 in UTC to the second, ``2024-05-01T09:30:00Z``.

    Telegram keeps whole seconds, so no fraction is ever written.
    """
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


def rfc3339(seconds: float | None) -> str | None:
    """``compact_date``, or None for a missing date."""
    return None if seconds is None else compact_date(seconds)


def render_dialog(dialog: Dialog) -> dict[str, Any]:
    out: dict[str, Any] = {
        "peer": dialog.peer,
        "type": dialog.kind,
        "title": sanitize_name(dialog.title),
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
    if dialog.forum:
        out["forum"] = True
    if dialog.last_message_date is not None:
        out["last_message_date"] = compact_date(dialog.last_message_date)
    return out
