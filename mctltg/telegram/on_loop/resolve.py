"""Turn a caller's ``PeerRef`` into a Telethon input peer, cheaply and predictably.

Runs on the Telethon thread. Order of attempts, cheapest first:

1. ``me`` and basic groups need no access hash at all;
2. ``user:<id>`` / ``channel:<id>``: the persisted entity cache (no RPC, survives restarts);
3. one dialog scan (up to 200 dialogs), which teaches the cache every hash it sees;
4. ``@username``: Telegram's resolver (then cached).

A bare id with no known access hash is the most common agent mistake (the original
server measured ~70 % of its error rows), so the final error tells the model to
use an id exactly as ``list_dialogs`` returned it. ``with_peer`` retries an
operation once after evicting a stale hash on PEER_ID_INVALID / CHANNEL_INVALID.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from telethon import errors as tl_errors
from telethon import utils
from telethon.tl import types

from mctltg.errors import PeerInvalid
from mctltg.telegram.model import PeerRef

__all__ = ["DIALOG_SCAN", "marked_id", "resolve_input_peer", "with_peer"]

T = TypeVar("T")
DIALOG_SCAN: Final = 200
#: Telegram's archive is dialog folder 1.
ARCHIVE_FOLDER: Final = 1
_STALE: Final = (
    tl_errors.PeerIdInvalidError,
    tl_errors.ChannelInvalidError,
    tl_errors.ChatIdInvalidError,
    tl_errors.UserIdInvalidError,
)


def marked_id(ref: PeerRef) -> int:
    """Telethon's marked id (``-100…`` for channels) for a ``user``/``chat``/``channel`` ref."""
    assert ref.id is not None
    if ref.kind == "user":
        return int(utils.get_peer_id(types.PeerUser(ref.id)))
    if ref.kind == "chat":
        return int(utils.get_peer_id(types.PeerChat(ref.id)))
    return int(utils.get_peer_id(types.PeerChannel(ref.id)))


async def resolve_input_peer(client: Any, ref: PeerRef) -> Any:
    """The ``InputPeer*`` for ``ref``.

    Raises:
        PeerInvalid: Telegram does not know the peer, or no access hash can be found.
    """
    if ref.kind == "self":
        return types.InputPeerSelf()
    if ref.kind == "chat":
        assert ref.id is not None
        return types.InputPeerChat(ref.id)
    if ref.kind == "username":
        try:
            return await client.get_input_entity(ref.username)
        except (ValueError, tl_errors.UsernameNotOccupiedError, tl_errors.UsernameInvalidError):
            raise PeerInvalid(str(ref)) from None
    session = client.session
    key = marked_id(ref)
    cached = session.cached_input_peer(key)
    if cached is not None:
        return cached
    for folder in (None, ARCHIVE_FOLDER):  # the main list first; an archived chat is no less the person's
        await client.get_dialogs(limit=DIALOG_SCAN, folder=folder)  # learns every access hash listed
        cached = session.cached_input_peer(key)
        if cached is not None:
            return cached
    raise PeerInvalid(str(ref))


async def with_peer(client: Any, ref: PeerRef, fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``fn(input_peer)``; on a stale hash evict it, re-resolve once, and retry once.

    PEER_ID_INVALID guarantees Telegram did nothing, so the retry cannot duplicate a write.
    """
    peer = await resolve_input_peer(client, ref)
    try:
        return await fn(peer)
    except _STALE:
        if ref.kind not in ("user", "channel"):
            raise PeerInvalid(str(ref)) from None
        client.session.forget_entity(marked_id(ref))
    peer = await resolve_input_peer(client, ref)
    try:
        return await fn(peer)
    except _STALE:
        client.session.forget_entity(marked_id(ref))
        raise PeerInvalid(str(ref)) from None
