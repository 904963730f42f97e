"""``GET /telegram/media/<token>``: a capability link's file, streamed from Telegram.

The token is the whole authorization (``accounts/media_links.py`` says what makes it
safe to be so); an unknown, expired or revoked link is one 404 page, the same for each,
so the route answers no question about links that do not work.

The body is read from Telegram one piece at a time and each piece is sent before the
next is asked for, so a 50 MB file costs the server one piece of memory, and a reader
that goes away ends the download at Telegram too (:class:`_Pieces` closes it however
the response ends). A single ``Range: bytes=a-b`` is honoured, so players and download
managers can seek and resume.

What Telegram says a file is comes from whoever sent it, so the response can never act
as a page of this origin: it is an attachment, with a sandboxing policy, and types a
browser would run (HTML, SVG, XML, JavaScript) are sent as ``application/octet-stream``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Final
from urllib.parse import quote

import trio
from quart import Blueprint, Response, request
from quart.wrappers.response import ResponseBody

from mctltg.accounts import MediaDownload
from mctltg.accounts.media_links import MEDIA_PATH, LinkGone, MediaLinks, TooManyStreams
from mctltg.errors import InvalidInput, MctltgError, NotShared, TelegramError
from mctltg.web.headers import NO_STORE

__all__ = ["STREAM_DEADLINE_SECONDS", "media_blueprint"]

#: The longest one response may take to send (Quart's default of 60 s would cut big files off).
STREAM_DEADLINE_SECONDS: Final = 30 * 60.0
#: Nothing of this origin may run: a sender chooses a file's type.
_ATTACHMENT_CSP: Final = "default-src 'none'; sandbox"
_ACTIVE_TYPES: Final = re.compile(r"html|xml|svg|javascript|ecmascript|xhtml", re.IGNORECASE)
_RANGE: Final = re.compile(r"bytes=(\d+)-(\d*)")


def media_blueprint(links: MediaLinks) -> Blueprint:
    blueprint = Blueprint("media", __name__)

    @blueprint.get(MEDIA_PATH + "/<token>")
    async def serve(token: str) -> Response:
        try:
            link = links.find(token)
        except LinkGone as gone:
            return _text(404, str(gone))
        size = link.file.size
        wanted = _byte_range(request.headers.get("Range"), size)
        if wanted is None:
            return _text(416, "That byte range is outside the file.", {"Content-Range": f"bytes */{size}"})
        first, last = wanted
        stack = AsyncExitStack()
        try:
            download = await stack.enter_async_context(links.download(token, offset=first))
        except (LinkGone, InvalidInput, NotShared):
            # also a message deleted or edited since, or a chat the person stopped sharing
            return _text(404, str(LinkGone()))
        except TooManyStreams as busy:
            return _text(429, str(busy), {"Retry-After": "10"})
        except MctltgError:
            return _text(502, "Telegram did not hand over the file; try the link again later.")
        body = _Pieces(download, stack, length=last - first + 1)
        response = Response(body, status=206 if request.headers.get("Range") else 200)
        response.timeout = STREAM_DEADLINE_SECONDS
        headers = response.headers
        headers["Content-Type"] = _safe_type(link.file.mime_type)
        headers["Content-Length"] = str(last - first + 1)
        headers["Accept-Ranges"] = "bytes"
        headers["Content-Disposition"] = _attachment(link.file.file_name)
        headers["Content-Security-Policy"] = _ATTACHMENT_CSP
        headers["Cache-Control"] = NO_STORE
        if request.headers.get("Range"):
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        return response

    return blueprint


class _Pieces(ResponseBody):
    """The response body: pieces read from Telegram as the client takes them.

    Quart enters and exits the body around sending it, also when the client goes away
    mid-file; exiting closes the download (and frees its stream slot) even if not one
    piece was read, which a bare async generator would not do.
    """

    def __init__(self, download: MediaDownload, stack: AsyncExitStack, *, length: int) -> None:
        self._download = download
        self._stack = stack
        self._left = length

    async def __aenter__(self) -> _Pieces:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with trio.CancelScope(shield=True):
            await self._stack.aclose()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._pieces()

    async def _pieces(self) -> AsyncIterator[bytes]:
        while self._left > 0:
            try:
                piece = await self._download.next_piece()
            except TelegramError:
                return  # headers are sent: a short body is how the client learns it failed
            if not piece:
                return
            piece = piece[: self._left]
            self._left -= len(piece)
            yield piece


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range asked for (the whole file without a header); None if unsatisfiable."""
    if size == 0:
        return (0, -1)
    if not header:
        return (0, size - 1)
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return (0, size - 1)  # a form we do not serve (several ranges, suffixes): the whole file
    first = int(match.group(1))
    last = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    if first >= size or last < first:
        return None
    return (first, last)


def _safe_type(mime_type: str) -> str:
    return "application/octet-stream" if _ACTIVE_TYPES.search(mime_type) else mime_type


def _attachment(file_name: str | None) -> str:
    if not file_name:
        return "attachment"
    return f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = NO_STORE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
