"""Reading one message's file piece by piece, ON the Telethon thread.

A capability link (``accounts/media_links.py``) streams a document to an HTTP client
without holding it: the Trio side asks for one piece at a time and sends it on before
asking for the next, so the server holds at most one piece per stream. ``open_download``
fetches the message once and keeps Telethon's download iterator in a :class:`Download`
that never leaves ``telegram/``; ``read_piece`` advances it by one ``upload.getFile``.

A file reference expires (Telegram says ``FILE_REFERENCE_EXPIRED``) after a while; the
piece that hit it fetches the message again for a fresh reference and continues from
the same byte offset, once per piece, as Telegram documents for long downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from telethon import errors as tl_errors
from telethon.tl import types

from mctltg.errors import InvalidInput, TelegramRpcError
from mctltg.telegram.model import MediaFile, PeerRef
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = ["PIECE_SIZE", "Download", "close_download", "open_download", "read_piece"]

#: Bytes per ``upload.getFile``: Telegram's largest allowed request (512 KiB), the fewest round trips.
PIECE_SIZE: Final = 512 * 1024

_EXPIRED: Final = (tl_errors.FileReferenceExpiredError, tl_errors.FilerefUpgradeNeededError)


@dataclass(slots=True, kw_only=True)
class Download:
    """One open download: where it reads from and how far it got (mutable, thread-confined)."""

    input_peer: Any
    message_id: int
    document: Any
    file: MediaFile
    offset: int
    pieces: Any = None  # Telethon's download iterator, opened on the first piece


def _document(message: Any) -> Any:
    media = getattr(message, "media", None)
    if isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document):
        return media.document
    raise InvalidInput("message_id", "this message has no file to download")


def _file_of(document: Any) -> MediaFile:
    name = next(
        (a.file_name for a in document.attributes if isinstance(a, types.DocumentAttributeFilename)),
        None,
    )
    return MediaFile(
        document_id=int(document.id),
        size=int(document.size),
        mime_type=str(document.mime_type or "application/octet-stream"),
        file_name=name,
    )


async def _fetch_document(client: Any, input_peer: Any, message_id: int) -> Any:
    message = await client.get_messages(input_peer, ids=message_id)
    if message is None:
        raise TelegramRpcError("MSG_ID_INVALID")
    return _document(message)


async def open_download(client: Any, ref: PeerRef, message_id: int, offset: int) -> Download:
    """Fetch the message and prepare to read its document from byte ``offset``.

    Raises:
        TelegramRpcError: MSG_ID_INVALID, the message is gone.
        InvalidInput: the message carries no document.
    """

    async def fetch(input_peer: Any) -> Download:
        document = await _fetch_document(client, input_peer, message_id)
        return Download(
            input_peer=input_peer,
            message_id=message_id,
            document=document,
            file=_file_of(document),
            offset=offset,
        )

    return await with_peer(client, ref, fetch)


async def read_piece(client: Any, download: Download) -> bytes:
    """The next piece of the file; ``b""`` at its end.

    Raises:
        TelegramRpcError: the document changed under the download, or the reference
            stayed expired after one refetch.
    """
    if download.offset >= download.file.size:
        return b""
    try:
        piece = await _next(client, download)
    except _EXPIRED:
        await close_download(client, download)
        document = await _fetch_document(client, download.input_peer, download.message_id)
        if document.id != download.document.id:
            raise TelegramRpcError("FILE_REFERENCE_EXPIRED", "the message's file was replaced") from None
        download.document = document
        piece = await _next(client, download)
    download.offset += len(piece)
    return piece


async def _next(client: Any, download: Download) -> bytes:
    if download.pieces is None:
        download.pieces = client.iter_download(
            download.document,
            offset=download.offset,
            request_size=PIECE_SIZE,
            file_size=download.file.size,
        )
    try:
        return bytes(await download.pieces.__anext__())
    except StopAsyncIteration:
        return b""


async def close_download(client: Any, download: Download) -> None:
    """Release what the iterator borrowed (a sender to another data center); idempotent."""
    del client  # the iterator knows its client
    pieces, download.pieces = download.pieces, None
    if pieces is not None:
        await pieces.close()
