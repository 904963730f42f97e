"""A file for ``send_media``: taken from a URL or base64, checked to be what its kind says.

Everything here is about the caller's bytes, before Telegram is involved:

- ``decode_base64`` refuses an encoded text longer than the cap allows *before*
  decoding it (a ``data:`` URL prefix is accepted, its media type kept as the declared type);
- ``load_url`` fetches through the SSRF-guarded ``outbound.fetch`` (https only, public
  addresses only, size cap, one deadline) and turns its refusals into ``InvalidInput``;
- ``checked_upload`` decides whether the bytes fit the kind: a photo must open with Pillow
  as JPEG, PNG or WebP (its dimensions come from there); video, audio, voice and animation
  must start like their containers; a declared type (the server's ``Content-Type``, the
  ``data:`` prefix or the file name) must fit the kind too, so a URL that "lies about its
  type" is refused in one sentence.

Sniffing containers by their first bytes is not decoding a format: Pillow is the only
thing that reads an image.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
import re
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final
from urllib.parse import urlsplit

import PIL.Image

from mctltg.errors import InvalidInput
from mctltg.outbound import FetchPolicy, OutboundError, fetch
from mctltg.telegram.model import MediaUpload, UploadKind
from mctltg.tools.content import sanitize_name

__all__ = [
    "KINDS",
    "Loaded",
    "SendMediaLimits",
    "checked_upload",
    "decode_base64",
    "load_url",
]

KINDS: Final[tuple[UploadKind, ...]] = ("photo", "document", "video", "audio", "voice", "animation")
_PHOTO_FORMATS: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
#: Declared types that say nothing (a server that does not know, or a generic download).
_UNKNOWN_TYPES: Final = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_DATA_URL: Final = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,", re.I)
_DEFAULT_NAMES: Final = {
    "photo": "photo.jpg",
    "document": "file.bin",
    "video": "video.mp4",
    "audio": "audio.mp3",
    "voice": "voice.ogg",
    "animation": "animation.mp4",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SendMediaLimits:
    """``send_media``'s caps: ``SEND_MEDIA_MAX_BYTES``, ``SEND_PHOTO_MAX_BYTES`` and the fetch policy."""

    max_bytes: int
    photo_max_bytes: int
    fetch: FetchPolicy

    def cap(self, kind: UploadKind) -> int:
        return min(self.max_bytes, self.photo_max_bytes) if kind == "photo" else self.max_bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Loaded:
    """The caller's bytes, with the type they were declared as and a name to suggest."""

    data: bytes
    declared: str
    name_hint: str | None
    source: str  # "the URL's host" or "data_base64", for sentences


def decode_base64(text: str, max_bytes: int) -> Loaded:
    """Decode ``text`` (plain base64 or a ``data:`` URL) if its length allows ``max_bytes``.

    Raises:
        InvalidInput: too long (checked before decoding), or not valid base64.
    """
    if not isinstance(text, str):
        raise InvalidInput("data_base64", "must be a base64 string")
    declared = ""
    prefix = _DATA_URL.match(text)
    if prefix is not None:
        declared = (prefix.group(1) or "").lower()
        text = text[prefix.end() :]
    # Four characters carry three bytes: the longest text that can fit, plus line breaks.
    allowed = 4 * ((max_bytes + 2) // 3)
    if len(text) > allowed + allowed // 64 + 4:
        raise InvalidInput(
            "data_base64", f"decodes to more than the {max_bytes:,} bytes allowed; send a smaller file"
        )
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "data_base64", "is not valid base64; encode the file's bytes with base64"
        ) from None
    if not data:
        raise InvalidInput("data_base64", "is empty; give the file's bytes")
    if len(data) > max_bytes:
        raise InvalidInput(
            "data_base64", f"decodes to more than the {max_bytes:,} bytes allowed; send a smaller file"
        )
    return Loaded(data=data, declared=declared, name_hint=None, source="data_base64")


async def load_url(url: str, policy: FetchPolicy) -> Loaded:
    """Fetch ``url`` under ``policy`` (see ``mctltg.outbound``).

    Raises:
        InvalidInput: the fetcher refused or failed; its one sentence, naming the host.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("url", "must be an https URL")
    try:
        fetched = await fetch(url.strip(), policy)
    except OutboundError as exc:
        sentence = str(exc).rstrip(".")
        raise InvalidInput("url", sentence[:1].lower() + sentence[1:]) from None
    parts = urlsplit(fetched.url)
    name = PurePosixPath(parts.path).name or None
    host = parts.hostname or "the URL"
    return Loaded(data=fetched.body, declared=fetched.content_type, name_hint=name, source=host)


def checked_upload(
    kind: UploadKind, loaded: Loaded, *, file_name: str | None, caption: str, limits: SendMediaLimits
) -> MediaUpload:
    """The upload for ``loaded`` as ``kind``, or one sentence saying why it does not fit.

    Runs Pillow for photos (call it in a worker thread for large files).

    Raises:
        InvalidInput: too large for the kind, or the bytes or the declared type do not fit it.
    """
    field = "url" if loaded.source != "data_base64" else "data_base64"
    cap = limits.cap(kind)
    if len(loaded.data) > cap:
        raise InvalidInput(field, f"is {len(loaded.data):,} bytes; a {kind} may be at most {cap:,} bytes")
    name = _clean_name(file_name) or _clean_name(loaded.name_hint)
    declared = loaded.declared or (mimetypes.guess_type(name)[0] or "" if name else "")
    declared = declared.lower()
    width = height = None
    if kind == "photo":
        found = _photo(loaded.data)
        if found is None:
            raise InvalidInput(field, f"{_what(loaded)} is not a JPEG, PNG or WebP image{_said(declared)}")
        mime, width, height = found
        _must_fit(field, loaded, declared, kind, ("image/",))
    elif kind == "document":
        mime = declared if declared not in _UNKNOWN_TYPES else "application/octet-stream"
        if mime in _PHOTO_FORMATS.values() and _photo(loaded.data) is None:
            raise InvalidInput(field, f"{_what(loaded)} is not the image it is declared as ({mime})")
    else:
        sniffed = _sniff_av(kind, loaded.data)
        if sniffed is None:
            raise InvalidInput(field, f"{_what(loaded)} does not look like {_ARTICLE[kind]}{_said(declared)}")
        _must_fit(field, loaded, declared, kind, _FAMILIES[kind])
        mime = declared if declared not in _UNKNOWN_TYPES else sniffed
    if not name:
        name = _DEFAULT_NAMES[kind]
        guessed = mimetypes.guess_extension(mime or "")
        if guessed and kind != "voice":
            name = str(PurePosixPath(name).with_suffix(guessed))
    return MediaUpload(
        kind=kind,
        data=loaded.data,
        mime_type=mime,
        file_name=name,
        caption=caption,
        width=width,
        height=height,
    )


_FAMILIES: Final = {
    "video": ("video/",),
    "audio": ("audio/",),
    "voice": ("audio/",),
    "animation": ("image/gif", "video/"),
}
_ARTICLE: Final = {
    "video": "a video (MP4, MOV or WebM)",
    "audio": "audio (MP3, M4A, OGG, FLAC or WAV)",
    "voice": "a voice note (OGG/Opus, MP3 or M4A)",
    "animation": "an animation (GIF or MP4)",
}


def _what(loaded: Loaded) -> str:
    return "the decoded data" if loaded.source == "data_base64" else f"the file at {loaded.source}"


def _said(declared: str) -> str:
    return f" although it is declared as {declared}" if declared and declared not in _UNKNOWN_TYPES else ""


def _must_fit(field: str, loaded: Loaded, declared: str, kind: str, families: tuple[str, ...]) -> None:
    if declared in _UNKNOWN_TYPES or declared.startswith(families):
        return
    raise InvalidInput(field, f"{_what(loaded)} is declared as {declared}, which is not a {kind}")


def _photo(data: bytes) -> tuple[str, int, int] | None:
    """Pillow's verdict: the photo's type and size, or None when it is not an image we send."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(io.BytesIO(data)) as image:
                image.verify()
                found = image.format, image.size
    except Exception:  # Pillow raises many kinds for "not an image"; all mean the same here
        return None
    mime = _PHOTO_FORMATS.get(found[0] or "")
    return None if mime is None else (mime, found[1][0], found[1][1])


def _sniff_av(kind: str, data: bytes) -> str | None:
    """The container's media type from its first bytes when it fits ``kind``, else None."""
    head = data[:16]
    iso = len(head) >= 12 and head[4:8] == b"ftyp"
    brand = head[8:12] if iso else b""
    if kind in ("video", "animation"):
        if iso:
            return "video/quicktime" if brand == b"qt  " else "video/mp4"
        if head.startswith(b"\x1a\x45\xdf\xa3") and kind == "video":
            return "video/webm"
        if head.startswith((b"GIF87a", b"GIF89a")) and kind == "animation":
            return "image/gif"
        return None
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if iso:
        return "audio/mp4"
    if kind == "audio" and head.startswith(b"fLaC"):
        return "audio/flac"
    if kind == "audio" and head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    return None


def _clean_name(name: str | None) -> str | None:
    """A file name as one visible line, without any directory part."""
    if not name:
        return None
    base = PurePosixPath(str(name).replace("\\", "/")).name
    clean = sanitize_name(base).strip(". ")
    return clean[:100] or None
