"""A Telethon session that lives only in memory and serialises to one sealable blob.

Telethon's own ``SQLiteSession`` writes an unencrypted ``*.session`` file; we never
let it. ``SealedSession`` keeps the auth key, the DC, the update state and the
entity cache (access hashes) in memory, marks itself dirty when any of them
changes, and serialises to bytes that ``storage`` seals with the account's row.

Entity cache policy: an entry with a zero access hash (or a ``min`` entity, which
Telethon already refuses to turn into an input peer) never overwrites a good one.
Phone numbers are not kept at all: the product never needs them to resolve a peer.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

from telethon import utils
from telethon.crypto import AuthKey
from telethon.sessions import MemorySession
from telethon.tl import types

__all__ = ["SESSION_FORMAT", "SealedSession"]

SESSION_FORMAT: Final = 1

_Row = tuple[int, int, str | None, str | None, str | None]


class SealedSession(MemorySession):  # type: ignore[misc]  # Telethon is untyped
    """In-memory Telethon session with a dirty flag and a compact byte form.

    Stays synchronous on purpose: Telethon 1.39 calls session methods without
    awaiting them, 1.45 awaits only what returns an awaitable.
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_id: dict[int, _Row] = {}
        self.dirty = False

    # -- what Telethon calls ------------------------------------------------------
    def set_dc(self, dc_id: int, server_address: str, port: int) -> None:
        super().set_dc(dc_id, server_address, port)
        self.dirty = True

    @MemorySession.auth_key.setter  # type: ignore[untyped-decorator]
    def auth_key(self, value: AuthKey | None) -> None:
        self._auth_key = value
        self.dirty = True

    def set_update_state(self, entity_id: int, state: Any) -> None:
        super().set_update_state(entity_id, state)
        self.dirty = True

    def process_entities(self, tlo: Any) -> None:
        for row in self._entities_to_rows(tlo):
            self._remember(row)

    def _remember(self, row: _Row) -> None:
        marked_id, access_hash = row[0], row[1]
        old = self._by_id.get(marked_id)
        kind = utils.resolve_id(marked_id)[1]
        if kind is not types.PeerChat and not access_hash and old is not None:
            return  # a zero hash never replaces a usable one
        new = (marked_id, access_hash, row[2], None, row[4])
        if old != new:
            self._by_id[marked_id] = new
            self._entities = set(self._by_id.values())
            self.dirty = True

    def forget_entity(self, marked_id: int) -> None:
        """Evict one cached peer (after PEER_ID_INVALID) so the next use re-resolves it."""
        if self._by_id.pop(marked_id, None) is not None:
            self._entities = set(self._by_id.values())
            self.dirty = True

    def cached_input_peer(self, marked_id: int) -> Any | None:
        """The cached ``InputPeer*`` for a marked id, or None; never an RPC."""
        row = self._by_id.get(marked_id)
        if row is None:
            return None
        bare_id, kind = utils.resolve_id(marked_id)
        if kind is types.PeerUser:
            return types.InputPeerUser(bare_id, row[1])
        if kind is types.PeerChannel:
            return types.InputPeerChannel(bare_id, row[1])
        return types.InputPeerChat(bare_id)

    def entity_count(self) -> int:
        return len(self._by_id)

    # -- the byte form ------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Everything needed to resume: DC, auth key, update state, entity cache."""
        key = self.auth_key.key.hex() if self.auth_key is not None and self.auth_key.key else None
        states = {
            str(entity_id): [state.pts, state.qts, _timestamp(state.date), state.seq, state.unread_count]
            for entity_id, state in self._update_states.items()
        }
        document = {
            "format": SESSION_FORMAT,
            "dc": [self.dc_id, self.server_address, self.port],
            "auth_key": key,
            "states": states,
            "entities": [list(row) for row in self._by_id.values()],
        }
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedSession:
        """Rebuild a session saved by ``to_bytes``; ValueError if the form is unknown."""
        document = json.loads(data)
        if document.get("format") != SESSION_FORMAT:
            raise ValueError("unknown session format")
        session = cls()
        dc_id, address, port = document["dc"]
        if dc_id:
            MemorySession.set_dc(session, dc_id, address, port)
        if document["auth_key"]:
            session._auth_key = AuthKey(bytes.fromhex(document["auth_key"]))
        for entity_id, (pts, qts, date, seq, unread) in document["states"].items():
            session._update_states[int(entity_id)] = types.updates.State(
                pts=pts, qts=qts, date=dt.datetime.fromtimestamp(date, dt.UTC), seq=seq, unread_count=unread
            )
        for row in document["entities"]:
            session._by_id[row[0]] = (row[0], row[1], row[2], None, row[4])
        session._entities = set(session._by_id.values())
        session.dirty = False
        return session

    @classmethod
    def with_auth_key(cls, key: bytes, *, dc_id: int, address: str, port: int) -> SealedSession:
        """A fresh session already holding an auth key (sandbox demo and tests)."""
        session = cls()
        MemorySession.set_dc(session, dc_id, address, port)
        session._auth_key = AuthKey(key)
        session.dirty = True
        return session


def _timestamp(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value or 0)
