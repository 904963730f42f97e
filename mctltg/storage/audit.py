"""The audit log: one row per tool call, hash-chained so that an edited row shows.

A row holds the time, the identity, the tool, the peer reduced to its type and numeric
id (never a username, never message text) and the outcome (``ok``, ``draft``,
``rate_limited``, ``error:<kind>``). Each identity's rows form their own chain: a row's
``entry_hash`` is SHA-256 over its fields and the previous row's hash in that chain, so
changing, reordering or removing a row in the middle breaks every later link, and
:meth:`AuditLog.verify` (``mctltg audit verify``) finds the first broken row.

Chains are per identity because deleting an identity deletes its rows (``ON DELETE
CASCADE``): the other chains must keep verifying. Rows of calls made before any identity
was known (no token) chain together under "no identity". A plain hash chain does not
stop someone who can rewrite the whole database from recomputing every hash, nor
notice the newest rows being cut off; it proves that rows were not edited in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["GENESIS", "AuditEntry", "AuditLog", "AuditVerdict", "entry_hash"]

#: The ``prev_hash`` of the first row of every chain.
GENESIS: Final = "0" * 64
_COLUMNS: Final = "id, identity_id, ts_ms, tool, peer_type, peer_id, outcome, prev_hash, entry_hash"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One audit row."""

    id: int
    identity_id: int | None
    ts: float
    tool: str
    peer_type: str | None
    peer_id: int | None
    outcome: str
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditVerdict:
    """What :meth:`AuditLog.verify` found.

    Attributes:
        rows: rows checked.
        chains: chains (identities, plus "no identity") checked.
        broken_row: the id of the first row that does not verify, or None.
        problem: one sentence about that row.
    """

    rows: int
    chains: int
    broken_row: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_row is None


def entry_hash(
    *,
    prev_hash: str,
    identity_id: int | None,
    ts_ms: int,
    tool: str,
    peer_type: str | None,
    peer_id: int | None,
    outcome: str,
) -> str:
    """SHA-256 over length-prefixed fields in a fixed order (no field can bleed into the next)."""
    digest = hashlib.sha256(b"mctltg-audit-v1")
    for field in (prev_hash, identity_id, ts_ms, tool, peer_type, peer_id, outcome):
        data = b"\xff" if field is None else str(field).encode()
        digest.update(len(data).to_bytes(4, "big"))
        digest.update(data)
    return digest.hexdigest()


class AuditLog:
    """Appends, pages through and verifies ``audit_log`` rows.

    Args:
        db: the open database.
        clock: wall-clock seconds.
    """

    def __init__(self, db: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._clock = clock

    async def append(
        self,
        *,
        identity_id: int | None,
        tool: str,
        outcome: str,
        peer_type: str | None = None,
        peer_id: int | None = None,
    ) -> AuditEntry:
        """Write one row at the end of the identity's chain.

        Raises:
            StorageError: the database failed (nothing was written).
        """
        ts_ms = round(self._clock() * 1000)
        return await self._db.write(_append, identity_id, ts_ms, tool, peer_type, peer_id, outcome)

    async def page(self, identity_id: int, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        """The identity's newest rows first, at most ``limit``, older than row ``before``."""
        return await self._db.read(_page, identity_id, limit, before)

    async def verify(self) -> AuditVerdict:
        """Recompute every chain; the first row that does not verify, if any."""
        return await self._db.read(_verify)


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        identity_id=None if row["identity_id"] is None else int(row["identity_id"]),
        ts=int(row["ts_ms"]) / 1000,
        tool=str(row["tool"]),
        peer_type=None if row["peer_type"] is None else str(row["peer_type"]),
        peer_id=None if row["peer_id"] is None else int(row["peer_id"]),
        outcome=str(row["outcome"]),
        prev_hash=str(row["prev_hash"]),
        entry_hash=str(row["entry_hash"]),
    )


def _append(
    conn: sqlite3.Connection,
    identity_id: int | None,
    ts_ms: int,
    tool: str,
    peer_type: str | None,
    peer_id: int | None,
    outcome: str,
) -> AuditEntry:
    last = conn.execute(
        "SELECT entry_hash FROM audit_log WHERE identity_id IS ? ORDER BY id DESC LIMIT 1", (identity_id,)
    ).fetchone()
    prev = GENESIS if last is None else str(last["entry_hash"])
    digest = entry_hash(
        prev_hash=prev,
        identity_id=identity_id,
        ts_ms=ts_ms,
        tool=tool,
        peer_type=peer_type,
        peer_id=peer_id,
        outcome=outcome,
    )
    cursor = conn.execute(
        "INSERT INTO audit_log (identity_id, ts_ms, tool, peer_type, peer_id, outcome, prev_hash, entry_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (identity_id, ts_ms, tool, peer_type, peer_id, outcome, prev, digest),
    )
    row = conn.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return _entry(row)


def _page(conn: sqlite3.Connection, identity_id: int, limit: int, before: int | None) -> list[AuditEntry]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE identity_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        (identity_id, before if before is not None else 2**63 - 1, limit),
    ).fetchall()
    return [_entry(row) for row in rows]


def _verify(conn: sqlite3.Connection) -> AuditVerdict:
    heads: dict[int | None, str] = {}
    rows = 0
    # One consistent snapshot while walking every row in insertion order.
    conn.execute("BEGIN")
    try:
        for row in conn.execute(
            "SELECT id, identity_id, ts_ms, tool, peer_type, peer_id, outcome, prev_hash, entry_hash"
            " FROM audit_log ORDER BY id"
        ):
            rows += 1
            identity_id = None if row["identity_id"] is None else int(row["identity_id"])
            expected_prev = heads.get(identity_id, GENESIS)
            chain = "no identity" if identity_id is None else f"identity {identity_id}"
            if str(row["prev_hash"]) != expected_prev:
                return AuditVerdict(
                    rows=rows,
                    chains=len(heads),
                    broken_row=int(row["id"]),
                    problem=f"row {row['id']} ({chain}) does not link to the row before it in its chain",
                )
            recomputed = entry_hash(
                prev_hash=expected_prev,
                identity_id=identity_id,
                ts_ms=int(row["ts_ms"]),
                tool=str(row["tool"]),
                peer_type=None if row["peer_type"] is None else str(row["peer_type"]),
                peer_id=None if row["peer_id"] is None else int(row["peer_id"]),
                outcome=str(row["outcome"]),
            )
            if recomputed != str(row["entry_hash"]):
                return AuditVerdict(
                    rows=rows,
                    chains=len(heads) + (identity_id not in heads),
                    broken_row=int(row["id"]),
                    problem=f"row {row['id']} ({chain}) was changed after it was written",
                )
            heads[identity_id] = recomputed
    finally:
        conn.execute("COMMIT")
    return AuditVerdict(rows=rows, chains=len(heads))
