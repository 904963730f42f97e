"""Pure rendering of messages into the compact shape every read tool returns.

One message is ``{id, peer, from?, date, text?, reply_to?, out?, media?, link?}`` with
empty fields left out. Names can be given two ways and each result uses whichever is
smaller in bytes: *inline* (``peer_title`` and a display-name ``from`` on every message)
or a *legend* (``names`` maps each ``peer`` and ``from`` reference to its name once,
and ``from`` is a reference a tool accepts as a peer: ``@username`` or ``user:<id>``).
Every text and name passes the untrusted-content sanitizer first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from mctltg.telegram.model import MediaInfo, Message
from mctltg.tools.content import sanitize_name, sanitize_text, wrap
from mctltg.tools.render import rfc3339

__all__ = ["FILE_NAME_MAX", "json_size", "render_media", "render_messages"]

FILE_NAME_MAX: Final = 255


def json_size(value: Any) -> int:
    """Bytes of ``value`` as the compact UTF-8 JSON the tools send."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def render_media(media: MediaInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"type": media.type}
    if media.mime_type:
        out["mime_type"] = sanitize_name(media.mime_type)
    if media.file_name:
        name = " ".join(sanitize_text(media.file_name, limit=FILE_NAME_MAX).split())
        if name:
            out["file_name"] = name
    for key in ("size", "duration", "width", "height"):
        value = getattr(media, key)
        if value:
            out[key] = int(value) if key != "duration" or float(value).is_integer() else round(value, 1)
    return out


def _common(message: Message) -> dict[str, Any]:
    return {"id": message.id, "peer": message.peer}


def _rest(message: Message, nonce: str, out: dict[str, Any]) -> dict[str, Any]:
    out["date"] = rfc3339(message.date)
    text = sanitize_text(message.text, official=message.official) if message.text else ""
    if text:
        out["text"] = wrap(text, nonce)
    if message.reply_to:
        out["reply_to"] = message.reply_to
    if message.out:
        out["out"] = True
    if message.media is not None:
        out["media"] = render_media(message.media)
    if message.link:
        out["link"] = message.link
    return out


def _inline(messages: Sequence[Message], nonce: str) -> dict[str, Any]:
    rendered = []
    for message in messages:
        out = _common(message)
        title = sanitize_name(message.peer_title)
        if title:
            out["peer_title"] = title
        if message.sender:
            name = sanitize_name(message.sender_name)
            out["from"] = message.sender if message.sender.startswith("@") or not name else name
        rendered.append(_rest(message, nonce, out))
    return {"messages": rendered}


def _legend(messages: Sequence[Message], nonce: str) -> dict[str, Any]:
    names: dict[str, str] = {}
    rendered = []
    for message in messages:
        out = _common(message)
        title = sanitize_name(message.peer_title)
        if title:
            names.setdefault(message.peer, title)
        if message.sender:
            out["from"] = message.sender
            name = sanitize_name(message.sender_name)
            if name:
                names.setdefault(message.sender, name)
        rendered.append(_rest(message, nonce, out))
    result: dict[str, Any] = {"messages": rendered}
    if names:
        result["names"] = names
    return result


def render_messages(messages: Sequence[Message], nonce: str) -> dict[str, Any]:
    """``{"messages": [...]}`` plus ``names`` when the legend form is the smaller one.

    Service messages are left out here: callers keep them only to move cursors.
    """
    visible = [m for m in messages if not m.service]
    legend = _legend(visible, nonce)
    inline = _inline(visible, nonce)
    return legend if json_size(legend) <= json_size(inline) else inline
