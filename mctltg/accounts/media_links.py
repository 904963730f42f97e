"""Capability links: a short-lived URL on this server that streams one message's file.

A remote MCP client cannot be handed a path on this server, and a PDF, a song or a
video is not something a model reads inline; ``get_media`` answers them with a
``resource_link`` to a URL minted here. The URL is the capability, so it is built to
be no more than that:

- 256 random bits, shown once and kept only as a SHA-256 digest (a memory dump holds
  no usable link);
- it expires after ``MEDIA_LINK_TTL`` (minutes), and the links live only in this
  process, so a restart ends them all;
- it is bound to one account's connection: opening it checks that the account row it
  was minted against is still active with the same ``created_at``, so a disconnect,
  delete, idle expiry, revoked session or reconnect kills it (a reconnect makes a new
  connection, even under the same row id);
- it streams from Telegram piece by piece (``TelegramAccount.media_download``), never
  holding the file, at most ``MAX_STREAMS_PER_ACCOUNT`` at a time per account so
  downloads cannot starve the account's other calls.

What a caller can create is capped: at most ``MAX_LINKS_PER_ACCOUNT`` live links per
account (minting more drops the oldest), and expired ones are swept on every mint.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final

from mctltg.accounts.directory import AccountDirectory
from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.errors import MctltgError
from mctltg.telegram import MediaDownload
from mctltg.telegram.model import MediaFile, PeerRef

__all__ = [
    "MAX_LINKS_PER_ACCOUNT",
    "MAX_STREAMS_PER_ACCOUNT",
    "MEDIA_PATH",
    "LinkGone",
    "MediaLink",
    "MediaLinks",
    "MintedLink",
    "TooManyStreams",
]

#: Where links live on this server: ``<PUBLIC_BASE_URL>/telegram/media/<token>``.
MEDIA_PATH: Final = "/telegram/media"
#: Live links one account may hold; minting more drops the oldest.
MAX_LINKS_PER_ACCOUNT: Final = 200
#: Downloads one account serves at once; more are refused until one ends.
MAX_STREAMS_PER_ACCOUNT: Final = 4
_TOKEN_BYTES: Final = 32


class LinkGone(MctltgError):
    """The link is unknown, expired, or its account's connection ended (all look the same)."""

    def __init__(self) -> None:
        super().__init__("This link has expired or was revoked; ask for the file again.")


class TooManyStreams(MctltgError):
    """The account already serves ``MAX_STREAMS_PER_ACCOUNT`` downloads."""

    def __init__(self) -> None:
        super().__init__(
            f"This account is already serving {MAX_STREAMS_PER_ACCOUNT} downloads; "
            "try again when one has finished."
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLink:
    """What a link grants: one file of one message, through one connection of one account."""

    account_id: int
    #: The account row's ``created_at`` when minted; a reconnect gives the row a new one.
    connected_at: float
    peer: PeerRef
    message_id: int
    file: MediaFile
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MintedLink:
    """A new link as the tool hands it out: the URL (shown once) and when it stops working."""

    url: str
    expires_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class MediaLinks:
    """Mints, finds and opens capability links.

    Args:
        directory: the accounts, to bind a link to the caller's connection and to open it.
        base_url: this server's public base URL (``PUBLIC_BASE_URL``).
        ttl: seconds a link works (``MEDIA_LINK_TTL``).
        clock: wall time, for expiry.
    """

    def __init__(
        self, directory: AccountDirectory, *, base_url: str, ttl: float, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._directory = directory
        self._base = base_url.rstrip("/") + MEDIA_PATH + "/"
        self._ttl = ttl
        self._clock = clock
        self._links: dict[str, MediaLink] = {}  # digest -> link, oldest first
        self._streams: dict[int, int] = {}  # account id -> downloads in flight

    def __len__(self) -> int:
        return len(self._links)

    async def mint(
        self,
        identity_id: int,
        peer: PeerRef,
        message_id: int,
        file: MediaFile,
        *,
        account: str | int | None = None,
    ) -> MintedLink:
        """A new link to ``file`` of one of the identity's accounts (label or id; the default when omitted).

        Raises:
            UnknownAccount, NoAccount, AccountRevoked, AccountBroken: no such usable account.
        """
        row = await self._directory.account_of(identity_id, account)
        now = self._clock()
        self._sweep(now, row.id)
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        link = MediaLink(
            account_id=row.id,
            connected_at=row.created_at,
            peer=peer,
            message_id=message_id,
            file=file,
            expires_at=now + self._ttl,
        )
        self._links[_digest(token)] = link
        return MintedLink(url=self._base + token, expires_at=link.expires_at)

    def find(self, token: str) -> MediaLink:
        """The live link for ``token``.

        Raises:
            LinkGone: unknown or expired.
        """
        key = _digest(token)
        link = self._links.get(key)
        if link is None:
            raise LinkGone()
        if self._clock() >= link.expires_at:
            del self._links[key]
            raise LinkGone()
        return link

    @asynccontextmanager
    async def download(self, token: str, *, offset: int = 0) -> AsyncIterator[MediaDownload]:
        """Open the link's file for reading from byte ``offset``, if the link still holds.

        Raises:
            LinkGone: unknown, expired, or its account's connection ended; also when
                the message's file was replaced since the link was minted.
            TooManyStreams: the account is busy serving other downloads.
            TelegramError: Telegram failed (the message was deleted: MSG_ID_INVALID).
        """
        link = self.find(token)
        row = await self._directory.accounts.get(link.account_id)
        if row is None or row.status != "active" or row.broken or row.created_at != link.connected_at:
            self._links.pop(_digest(token), None)
            raise LinkGone()
        busy = self._streams.get(row.id, 0)
        if busy >= MAX_STREAMS_PER_ACCOUNT:
            raise TooManyStreams()
        self._streams[row.id] = busy + 1
        try:
            account = await self._directory.account_for(row.identity_id, row.id)
            async with account.media_download(link.peer, link.message_id, offset=offset) as download:
                if link.file.document_id not in (None, download.file.document_id):
                    raise LinkGone()  # the message was edited to carry another file
                yield download
        finally:
            left = self._streams[row.id] - 1
            if left:
                self._streams[row.id] = left
            else:
                del self._streams[row.id]

    def _sweep(self, now: float, account_id: int) -> None:
        """Drop expired links, and the account's oldest beyond its cap (one slot kept free)."""
        for key in [key for key, link in self._links.items() if now >= link.expires_at]:
            del self._links[key]
        mine = [key for key, link in self._links.items() if link.account_id == account_id]
        for key in mine[: max(0, len(mine) - MAX_LINKS_PER_ACCOUNT + 1)]:
            del self._links[key]
