"""The audit log: one row per tool call, in keyed chains, so edits, cuts and removals show.

A row holds the time, the identity, the tool, the peer reduced to its type and numeric
id (never a username, never message text) and the outcome (``ok``, ``draft``,
``rate_limited``, ``error:<kind>``; a send's delivery row goes ``pending`` → ``sent``,
``unverified`` or ``refused``). Everything is MACed with a key derived from
``ENCRYPTION_KEY``, so someone who can write the database but does not hold the key
cannot make a change that verifies:

* each identity's rows form a chain: a row's ``entry_hash`` is a MAC over the previous
  row's ``entry_hash`` and the row's fixed fields (identity, time, tool, peer), so
  editing, reordering or removing a row breaks every later link;
* ``row_mac`` is a MAC over the row's ``entry_hash`` and its outcome: the one field that
  may change once (a pending delivery completed) without disturbing the chain;
* ``audit_chains`` keeps, per chain, a keyed head (row count, newest row id and link):
  dropping the newest rows no longer matches it;
* ``audit_anchor`` keeps a keyed count of chains and rows: removing a whole chain, head
  record included, no longer matches it.

What remains undetectable from inside the database is replacing all of it with an
older copy (a restored backup) or deleting every audit table at once; an off-host copy
of ``mctltg audit verify``'s summary line covers that.

Appends are group-committed: a call that finds a write in flight queues its row, and
the next write commits every queued row in one transaction. ``append`` still returns
only after its own row has committed. Rows written before the log was keyed (no
``row_mac``) are keyed once, at startup, if their plain hash chain still verifies
(:meth:`AuditLog.adopt_unkeyed_rows`).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import outcome
import trio

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.crypto import derive_key
from mctltg.storage.audit_chain import (
    GENESIS,
    AuditRow,
    AuditVerdict,
    adopt_unkeyed,
    chain_name,
    head_mac,
    link_mac,
    rekey,
    row_mac,
    set_anchor,
    verify_log,
)

if TYPE_CHECKING:
    from mctltg.storage.database import Database

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditLog",
    "AuditRow",
    "AuditVerdict",
    "audit_key",
    "complete_row",
    "write_row",
]

logger = logging.getLogger(__name__)

_COLUMNS: Final = (
    "id, identity_id, ts_ms, tool, peer_type, peer_id, outcome, prev_hash, entry_hash, account_id"
)


def audit_key(encryption_key: bytes) -> bytes:
    """The audit log's MAC key, derived from ``ENCRYPTION_KEY``."""
    return derive_key(encryption_key, "audit-log")


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
    #: The Telegram account the call used, when it used one.
    account_id: int | None = None


@dataclass(slots=True, eq=False)
class _Queued:
    """One caller's row waiting for a group commit (mutable: the box its result comes back in)."""

    row: AuditRow
    wake: trio.Event = field(default_factory=trio.Event)
    result: outcome.Outcome[AuditEntry] | None = None
    lead: bool = False


class AuditLog:
    """Appends, pages through and verifies ``audit_log`` rows.

    Args:
        db: the open database.
        key: the MAC key (:func:`audit_key` of ``ENCRYPTION_KEY``).
        clock: wall-clock seconds.
    """

    def __init__(self, db: Database, *, key: bytes, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._key = key
        self._clock = clock
        self._queue: list[_Queued] = []
        self._busy = False  # a leader is writing a batch

    @property
    def key(self) -> bytes:
        """The MAC key, for writers that add rows inside their own transaction (the send ledger)."""
        return self._key

    async def append(
        self,
        *,
        identity_id: int | None,
        tool: str,
        outcome: str,
        peer_type: str | None = None,
        peer_id: int | None = None,
        account_id: int | None = None,
    ) -> AuditEntry:
        """Write one row at the end of the identity's chain; returns once it has committed.

        Concurrent calls share one transaction: the first becomes the leader and writes
        every row queued by then; calls arriving meanwhile queue, and the first of them
        leads the next batch.

        Raises:
            StorageError: the database failed (this row was not written).
        """
        ts_ms = round(self._clock() * 1000)
        row = AuditRow(
            identity_id=identity_id,
            ts_ms=ts_ms,
            tool=tool,
            outcome=outcome,
            peer_type=peer_type,
            peer_id=peer_id,
            account_id=account_id,
        )
        item = _Queued(row)
        self._queue.append(item)
        if self._busy:
            try:
                await item.wake.wait()
            except BaseException:
                # Cancelled while waiting. Still queued: never written (the call did not
                # return). Already in a batch being written: it commits or fails with it.
                if item in self._queue:
                    self._queue.remove(item)
                    if item.lead:
                        self._hand_off()
                raise
        if item.result is None:  # this call leads the next batch
            self._busy = True
            await self._lead()
        assert item.result is not None
        return item.result.unwrap()

    async def _lead(self) -> None:
        batch, self._queue = self._queue, []
        try:
            # Shielded: the rows of other callers ride on this write. Database.write is
            # itself bounded by the database timeout.
            with trio.CancelScope(shield=True):
                try:
                    results = await self._db.write(_append_batch, self._key, [q.row for q in batch])
                except Exception as exc:  # every queued caller gets the failure
                    results = [outcome.Error(exc) for _ in batch]
            for queued, result in zip(batch, results, strict=True):
                queued.result = result
                queued.wake.set()
        finally:
            self._hand_off()

    def _hand_off(self) -> None:
        self._busy = False
        if self._queue:
            following = self._queue[0]
            following.lead = True
            self._busy = True
            following.wake.set()

    async def page(self, identity_id: int, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        """The identity's newest rows first, at most ``limit``, older than row ``before``."""
        return await self._db.read(_page, identity_id, limit, before)

    async def verify(self) -> AuditVerdict:
        """Check every link, row MAC, chain head and the anchor; the first problem, if any."""
        return await self._db.read(_verify, self._key)

    async def verify_with(self, previous: list[bytes]) -> tuple[AuditVerdict, bool]:
        """Verify under this key or, failing that, wholly under one of ``previous``.

        Returns the verdict and whether it was a previous key that verified (the log has
        not been re-keyed since ``ENCRYPTION_KEY`` was rotated).
        """
        verdict = await self.verify()
        if verdict.intact:
            return verdict, False
        for old_key in previous:
            older = await self._db.read(_verify, old_key)
            if older.intact:
                return older, True
        return verdict, False

    async def rekey(self, previous: list[bytes]) -> int:
        """After an ``ENCRYPTION_KEY`` rotation: MAC the whole log again under this key.

        Only if the log verifies wholly under one of the ``previous`` audit keys (and
        not under this one); returns how many rows were re-keyed.
        """
        rekeyed = await self._db.write(rekey, self._key, previous)
        if rekeyed:
            logger.info("audit log: re-keyed after an ENCRYPTION_KEY rotation", extra={"rows": rekeyed})
        return rekeyed

    async def adopt_unkeyed_rows(self) -> int:
        """Key the rows written before the log was keyed, once; returns how many were keyed.

        Only while the log has never been keyed (no anchor, no keyed row) and only if
        the plain hash chain of those rows still verifies; otherwise nothing changes and
        :meth:`verify` reports what it finds.
        """
        adopted = await self._db.write(adopt_unkeyed, self._key)
        if adopted:
            logger.info("audit log: keyed the rows written before this version", extra={"rows": adopted})
        return adopted


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
        account_id=None if row["account_id"] is None else int(row["account_id"]),
    )


def write_row(conn: sqlite3.Connection, key: bytes, row: AuditRow) -> AuditEntry:
    """Append ``row`` inside the caller's open write transaction (chain, head and anchor)."""
    chain = chain_name(row.identity_id)
    head = conn.execute(
        "SELECT ordinal, rows, head_link FROM audit_chains WHERE chain = ?", (chain,)
    ).fetchone()
    anchor = conn.execute("SELECT chains, rows FROM audit_anchor WHERE id = 1").fetchone()
    chains_total, rows_total = (0, 0) if anchor is None else (int(anchor["chains"]), int(anchor["rows"]))
    prev = GENESIS if head is None else str(head["head_link"])
    link = link_mac(key, prev, row)
    cursor = conn.execute(
        "INSERT INTO audit_log (identity_id, ts_ms, tool, peer_type, peer_id, outcome, prev_hash, entry_hash,"
        " row_mac, account_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (row.identity_id, row.ts_ms, row.tool, row.peer_type, row.peer_id, row.outcome, prev, link,
         row_mac(key, link, row.outcome), row.account_id),
    )  # fmt: skip
    row_id = cursor.lastrowid
    assert row_id is not None
    if head is None:
        chains_total += 1
        ordinal, count = chains_total, 1
    else:
        ordinal, count = int(head["ordinal"]), int(head["rows"]) + 1
    conn.execute(
        "INSERT INTO audit_chains (chain, ordinal, rows, head_id, head_link, mac) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (chain) DO UPDATE SET rows = excluded.rows, head_id = excluded.head_id,"
        " head_link = excluded.head_link, mac = excluded.mac",
        (chain, ordinal, count, row_id, link, head_mac(key, chain, ordinal, count, row_id, link)),
    )
    set_anchor(conn, key, chains_total, rows_total + 1)
    # The row as stored, from the values just written (reading it back cost a query per call).
    return AuditEntry(
        id=row_id,
        identity_id=row.identity_id,
        ts=row.ts_ms / 1000,
        tool=row.tool,
        peer_type=row.peer_type,
        peer_id=row.peer_id,
        outcome=row.outcome,
        prev_hash=prev,
        entry_hash=link,
        account_id=row.account_id,
    )


def complete_row(conn: sqlite3.Connection, key: bytes, row_id: int, outcome_: str) -> None:
    """Give a ``pending`` row its final outcome inside the caller's transaction (no-op otherwise)."""
    found = conn.execute("SELECT entry_hash, outcome FROM audit_log WHERE id = ?", (row_id,)).fetchone()
    if found is None or str(found["outcome"]) != "pending":
        return
    conn.execute(
        "UPDATE audit_log SET outcome = ?, row_mac = ? WHERE id = ?",
        (outcome_, row_mac(key, str(found["entry_hash"]), outcome_), row_id),
    )


def _append_batch(
    conn: sqlite3.Connection, key: bytes, rows: list[AuditRow]
) -> list[outcome.Outcome[AuditEntry]]:
    """Writer thread: every queued row in one transaction, each in a savepoint of its own.

    A row that fails (an identity that no longer exists) is rolled back alone and its
    caller gets the error; the others commit.
    """
    from mctltg.errors import StorageError

    results: list[outcome.Outcome[AuditEntry]] = []
    for row in rows:
        conn.execute("SAVEPOINT audit_row")
        try:
            results.append(outcome.Value(write_row(conn, key, row)))
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK TO audit_row")
            error = StorageError(f"the audit row for {row.tool} could not be written: {exc}")
            results.append(outcome.Error(error))
        conn.execute("RELEASE audit_row")
    return results


def _page(conn: sqlite3.Connection, identity_id: int, limit: int, before: int | None) -> list[AuditEntry]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE identity_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        (identity_id, before if before is not None else 2**63 - 1, limit),
    ).fetchall()
    return [_entry(row) for row in rows]


def _verify(conn: sqlite3.Connection, key: bytes) -> AuditVerdict:
    conn.execute("BEGIN")  # one consistent snapshot
    try:
        return verify_log(conn, key)
    finally:
        conn.execute("COMMIT")
