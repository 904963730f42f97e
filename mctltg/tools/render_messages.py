"""Pure rendering of messages into the compact shape every read tool returns.

A model reads every byte of a result on every later turn, so the shape spends none
twice. One message is ``{id, peer?, from?, date, text?, reply_to?, out?, media?, link?}``
with empty fields left out (``media`` is ``{kind, ...}``: see :func:`render_media`), and:

* ``peer`` is given once at the top of the result when every message is in the same
  chat (always for ``get_messages``), else on each message;
* ``day`` is given once at the top when every message was sent on the same UTC day,
  and each ``date`` is then only the time of day (``HH:MM:SS``), else each ``date`` is
  the full ``compact_date``;
* ``from`` is left out where the sender follows from the message: the account's own
  messages (``out``), channel posts, and incoming messages in a private chat (the
  other person is the chat itself);
* a forum message carries its ``topic`` id, and the topic's title is in ``names``
  under ``<peer>/<topic>``;
* names are given one of two ways, whichever is smaller in bytes: *inline*
  (``peer_title`` and a display-name ``from``) or a *legend* (``names`` maps each
  ``peer`` and ``from`` reference to its name once, and ``from`` is a reference a tool
  accepts as a peer: ``@username`` or ``user:<id>``).

Every text and name passes the untrusted-content sanitizer first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from mctltg.telegram.model import MediaInfo, Message
from mctltg.tools.content import sanitize_name, sanitize_text, wrap
from mctltg.tools.render import compact_date

__all__ = ["FILE_NAME_MAX", "json_size", "render_media", "render_messages"]

FILE_NAME_MAX: Final = 255
POLL_TEXT_MAX: Final = 300
DESCRIPTION_MAX: Final = 300
_DUMPS: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_size(value: Any) -> int:
    """Bytes of ``value`` as the compact UTF-8 JSON the tools send."""
    return len(_DUMPS(value).encode())


def _number(key: str, value: float) -> float | int:
    return int(value) if key != "duration" or float(value).is_integer() else round(value, 1)


def _poll(media: MediaInfo, nonce: str) -> dict[str, Any]:
    options = []
    for option in media.options:
        entry: dict[str, Any] = {"text": sanitize_name(option.text)}
        if option.votes is not None:
            entry["votes"] = option.votes
        options.append(entry)
    out: dict[str, Any] = {"question": wrap(sanitize_text(media.question or "", limit=POLL_TEXT_MAX), nonce)}
    out["options"] = options
    if media.voters is not None:
        out["voters"] = media.voters
    if media.closed:
        out["closed"] = True
    return out


def _extras(media: MediaInfo, nonce: str) -> dict[str, Any]:
    """What a poll, location, contact, link preview, track or sticker adds to the summary."""
    out: dict[str, Any] = {}
    if media.type == "poll":
        return _poll(media, nonce)
    if media.latitude is not None and media.longitude is not None:
        out["lat"], out["long"] = round(media.latitude, 6), round(media.longitude, 6)
    for key, value in (
        ("url", media.url),
        ("site", sanitize_name(media.site_name)),
        ("title", sanitize_name(media.title)),
        ("performer", sanitize_name(media.performer)),
        ("emoji", sanitize_name(media.emoji)),
        ("name", sanitize_name(media.contact_name)),
        ("phone", sanitize_name(media.phone)),
    ):
        if value:
            out[key] = value
    if media.contact_user_id:
        out["user"] = f"user:{media.contact_user_id}"
    if media.description:
        out["description"] = wrap(sanitize_text(media.description, limit=DESCRIPTION_MAX), nonce)
    return out


def render_media(media: MediaInfo, nonce: str) -> dict[str, Any]:
    """``{kind, mime_type?, file_name?, size?, duration?, width?, height?, ...}``, no empty fields.

    Texts someone else wrote (a poll's question, a preview's description) are wrapped like
    message text; names and titles are sanitized like names.
    """
    out: dict[str, Any] = {"kind": media.type}
    if media.mime_type:
        out["mime_type"] = sanitize_name(media.mime_type)
    if media.file_name:
        name = " ".join(sanitize_text(media.file_name, limit=FILE_NAME_MAX).split())
        if name:
            out["file_name"] = name
    for key in ("size", "duration", "width", "height"):
        value = getattr(media, key)
        if value:
            out[key] = _number(key, value)
    return out | _extras(media, nonce)


def _sender_implied(message: Message) -> bool:
    """Your own message is from you; an incoming one in a private chat is from the chat itself."""
    return message.out or message.peer.startswith("user:")


def _tail(message: Message, date: str, nonce: str, day: str | None) -> dict[str, Any]:
    """Everything after the names: rendered once per message and shared by both forms."""
    out: dict[str, Any] = {"date": date if day is None else date[11:19]}
    text = sanitize_text(message.text, official=message.official) if message.text else ""
    if text:
        out["text"] = wrap(text, nonce)
    if message.reply_to:
        out["reply_to"] = message.reply_to
    if message.out:
        out["out"] = True
    if message.media is not None:
        out["media"] = render_media(message.media, nonce)
    if message.link:
        out["link"] = message.link
    if message.topic_id is not None:
        out["topic"] = message.topic_id
    return out


def _titles(messages: Sequence[Message]) -> dict[str, str]:
    """Each chat's name; a private chat's falls back to its incoming sender's display name."""
    titles: dict[str, str] = {}
    for message in messages:
        title = sanitize_name(message.peer_title)
        if not title and not message.out and message.peer.startswith("user:"):
            title = sanitize_name(message.sender_name)
        if title:
            titles.setdefault(message.peer, title)
    return titles


def _topic_titles(messages: Sequence[Message]) -> dict[str, str]:
    """Forum topic titles, keyed ``<peer>/<topic id>`` (in both forms: topics have no inline name)."""
    return {
        f"{m.peer}/{m.topic_id}": sanitize_name(m.topic_title)
        for m in messages
        if m.topic_id is not None and m.topic_title
    }


def _top(shared: str | None, day: str | None, title: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if shared is not None:
        result["peer"] = shared
        if title:
            result["peer_title"] = title
    if day is not None:
        result["day"] = day
    return result


def _inline(
    messages: Sequence[Message], tails: list[dict[str, Any]], shared: str | None, day: str | None
) -> dict[str, Any]:
    titles = _titles(messages)
    rendered = []
    for message, tail in zip(messages, tails, strict=True):
        out: dict[str, Any] = {"id": message.id}
        if shared is None:
            out["peer"] = message.peer
            if message.peer in titles:
                out["peer_title"] = titles[message.peer]
        if message.sender and not _sender_implied(message):
            name = sanitize_name(message.sender_name)
            out["from"] = message.sender if message.sender.startswith("@") or not name else name
        rendered.append(out | tail)
    result = _top(shared, day, titles.get(shared) if shared is not None else None)
    result["messages"] = rendered
    topics = _topic_titles(messages)
    if topics:
        result["names"] = topics
    return result


def _legend(
    messages: Sequence[Message], tails: list[dict[str, Any]], shared: str | None, day: str | None
) -> dict[str, Any]:
    names = _titles(messages)
    rendered = []
    for message, tail in zip(messages, tails, strict=True):
        out: dict[str, Any] = {"id": message.id}
        if shared is None:
            out["peer"] = message.peer
        if message.sender and not _sender_implied(message):
            out["from"] = message.sender
            name = sanitize_name(message.sender_name)
            if name:
                names.setdefault(message.sender, name)
        rendered.append(out | tail)
    names |= _topic_titles(messages)
    result = _top(shared, day, None)
    result["messages"] = rendered
    if names:
        result["names"] = names
    return result


def render_messages(messages: Sequence[Message], nonce: str) -> dict[str, Any]:
    """``{"peer"?, "day"?, "messages": [...]}`` plus ``names`` when the legend form is the smaller one.

    Service messages are left out here: callers keep them only to move cursors.
    """
    visible = [m for m in messages if not m.service]
    peers = {m.peer for m in visible}
    shared = next(iter(peers)) if len(peers) == 1 else None
    dates = [compact_date(m.date) for m in visible]
    days = {date[:10] for date in dates}
    day = next(iter(days)) if len(days) == 1 else None
    tails = [_tail(m, date, nonce, day) for m, date in zip(visible, dates, strict=True)]
    legend = _legend(visible, tails, shared, day)
    inline = _inline(visible, tails, shared, day)
    return legend if json_size(legend) <= json_size(inline) else inline
