"""The sharing rule's Telethon-side half: naming a peer without asking Telegram, and folders.

Runs on the Telethon thread. ``check_peers`` runs inside an operation's crossing: each peer it names is
checked against the ``SharedView`` first, inside the same thread crossing and before any
RPC: a ``user:``/``chat:``/``channel:`` id is checked as written, ``@username`` through the
session's entity cache only (never Telegram's resolver, whose answer would differ for a
name that does not exist), ``me`` as the account's own user id. A peer that cannot be
named locally is not shared: the unknown and the unshared are refused alike.

``folder_chats`` expands the rule's chat folders into the chats they hold now: one
``messages.getDialogFilters``, plus one walk of the dialog list when a chosen folder
selects chats by kind (contacts, groups …) as Telegram's own apps do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from telethon import utils
from telethon.tl import types

from mctltg.errors import NotShared
from mctltg.telegram.model import PeerRef
from mctltg.telegram.on_loop.convert import dialog_from_telethon
from mctltg.telegram.on_loop.folders import DIALOG_SCAN_LIMIT, fetch_folders, matcher
from mctltg.telegram.sharing import SharedView

__all__ = ["check_peers", "folder_chats", "local_canonical", "self_peer"]


async def self_peer(client: Any) -> str | None:
    """``user:<own id>``; from memory once connected (``get_me`` only before that)."""
    self_id = getattr(getattr(client, "_mb_entity_cache", None), "self_id", None)
    if self_id is None:
        me = await client.get_me(input_peer=True)
        self_id = getattr(me, "user_id", None)
    return None if self_id is None else f"user:{int(self_id)}"


async def local_canonical(client: Any, ref: PeerRef) -> str | None:
    """The canonical id ``ref`` names, from what the session already knows; None if unknown."""
    if ref.kind == "self":
        return await self_peer(client)
    if ref.kind == "username":
        name = (ref.username or "").lower()
        for marked_id, _hash, username, _phone, _name in getattr(client.session, "_entities", ()):
            if username == name:
                bare, kind = utils.resolve_id(marked_id)
                prefix = {types.PeerUser: "user", types.PeerChat: "chat"}.get(kind, "channel")
                return f"{prefix}:{bare}"
        return None
    return str(ref)


_KINDS = {"user": types.PeerUser, "chat": types.PeerChat, "channel": types.PeerChannel}


def _cached(client: Any, canonical: str) -> bool:
    kind, _, number = canonical.partition(":")
    marked = utils.get_peer_id(_KINDS[kind](int(number)))
    return client.session.cached_input_peer(marked) is not None


async def check_peers(client: Any, view: SharedView, refs: Iterable[PeerRef | None]) -> None:
    """Raise ``NotShared`` for the first ref the view does not admit (no RPC).

    Under "every chat but the excluded ones" an id must also be one the session knows:
    otherwise Telegram would be asked, and "does not exist" would tell an unknown id from
    an excluded one. A chat the session does not know yet is known after ``list_dialogs``.
    """
    for ref in refs:
        if ref is None:
            continue
        canonical = await local_canonical(client, ref)
        if canonical is None or not view.admits(canonical):
            raise NotShared(str(ref))
        if view.rule.everything and ref.kind != "self" and not _cached(client, canonical):
            raise NotShared(str(ref))


async def folder_chats(client: Any, folder_ids: frozenset[int]) -> frozenset[str]:
    """Every chat the chosen folders hold now (folders that no longer exist hold none)."""
    chosen = [f for f in await fetch_folders(client) if f.id in folder_ids]
    found: set[str] = set()
    by_rule = []
    for folder in chosen:
        if folder.kinds:
            by_rule.append(matcher(folder))
        else:  # chats added by hand only
            found.update(p for p in folder.include if p not in folder.exclude)
    if by_rule:
        async for raw in client.iter_dialogs(limit=DIALOG_SCAN_LIMIT):
            dialog = dialog_from_telethon(raw)
            if any(match(raw, dialog) for match in by_rule):
                found.add(dialog.peer)
    return frozenset(found)
