"""Send records: what makes a send idempotent and keeps it from ever going out twice.

A real send is written here as ``pending`` *before* the message goes to Telegram, and
turned ``sent`` (with Telegram's message id and date) after Telegram answered. A record
that is still ``pending`` when nobody is sending it any more (the process died, the call
timed out or was cancelled mid-flight) becomes ``unverified``: Telegram may or may not
have delivered it, so it is never sent again automatically and the caller is told so.
A send Telegram definitely refused is deleted, so its key may be used again.

Records also carry the per-peer write limit (rows in the last hour) and the keyless
duplicate check (same peer, same text digest, within a short window), both decided in
the same transaction that inserts the new ``pending`` row, so two concurrent calls
cannot both squeeze under a limit. The message text itself is never stored: only a
keyed digest of it (the caller computes it), which says "same text" and nothing else.

Each new record also writes its delivery audit row (tool ``send_message:delivery``,
outcome ``pending``) in the same transaction, and every later state change completes
it (``sent``, ``unverified``, ``refused``) in the transaction that makes the change. So
a process killed between Telegram's answer and the tool's own audit row still leaves
an audit row for every message that may have gone out: it reads ``pending`` until the
next start turns it ``unverified`` together with its record.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, cast

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.errors import StorageError
from mctltg.storage.audit import AuditRow, complete_row, write_row

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.audit import AuditLog
    from mctltg.storage.database import Database

__all__ = ["BeginResult", "SendRecord", "SendState", "Sends"]

SendState = Literal["pending", "sent", "unverified"]
_STATES: Final[frozenset[str]] = frozenset({"pending", "sent", "unverified"})

#: How long an idempotency key is remembered; a key older than this sends again.
KEY_RETENTION_SECONDS: Final = 7 * 24 * 3600.0
#: The tool name of the audit row a send record carries from before the RPC to its end.
DELIVERY_TOOL: Final = "send_message:delivery"
#: The window of the per-peer write limit.
RATE_WINDOW_SECONDS: Final = 3600.0

_COLUMNS: Final = (
    "id, identity_id, account_id, idempotency_key, explicit_key, peer, text_digest, random_id,"
    " state, message_id, sent_date, result_peer, created_at, finished_at"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRecord:
    """One send as stored (never its text)."""

    id: int
    identity_id: int
    account_id: int
    idempotency_key: str
    explicit_key: bool
    peer: str
    text_digest: str
    random_id: int
    state: SendState
    message_id: int | None
    sent_date: float | None
    result_peer: str | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BeginResult:
    """What :meth:`Sends.begin` decided.

    Attributes:
        outcome: ``new`` (a pending row was written: go and send), ``existing`` (the
            key is already recorded: report that record), ``rate_limited`` (the
            per-peer limit is spent: nothing written) or ``duplicate`` (a keyless send
            of the same text to the same peer happened within the window).
        record: the new or existing record (None for the two refusals).
    """

    outcome: Literal["new", "existing", "rate_limited", "duplicate"]
    record: SendRecord | None = None


class Sends:
    """Reads and writes ``sends`` rows.

    Args:
        db: the open database.
        audit: where each record's delivery audit row goes (None: no delivery rows).
        clock: wall-clock seconds.
    """

    def __init__(self, db: Database, *, audit: AuditLog | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._key = None if audit is None else audit.key
        self._clock = clock

    async def get(self, account_id: int, key: str) -> SendRecord | None:
        """The record of the account's send with this idempotency key, or None (keys are per account)."""
        return await self._db.read(_select_key, account_id, key)

    async def recent_count(self, account_id: int, peer: str) -> int:
        """How many sends the account made to ``peer`` in the last hour (any state; per account)."""
        since = self._clock() - RATE_WINDOW_SECONDS
        return await self._db.read(_count_recent, account_id, peer, since)

    async def begin(
        self,
        *,
        identity_id: int,
        account_id: int,
        key: str,
        explicit_key: bool,
        peer: str,
        text_digest: str,
        limit_per_hour: int,
        duplicate_window: float,
        peer_type: str | None = None,
        peer_id: int | None = None,
        delivery_tool: str = DELIVERY_TOOL,
    ) -> BeginResult:
        """Record a send as ``pending`` unless the key exists or a limit refuses it.

        The duplicate check applies only to keyless sends (``explicit_key`` false). A new
        record writes its ``pending`` delivery audit row (peer as ``peer_type`` and
        ``peer_id`` only) in the same transaction, under ``delivery_tool``
        (``edit_message:delivery`` for an edit, and so on for every gated write).

        Raises:
            StorageError: the database failed (nothing was written).
        """
        return await self._db.write(
            _begin,
            identity_id,
            account_id,
            key,
            explicit_key,
            peer,
            text_digest,
            limit_per_hour,
            duplicate_window,
            self._clock(),
            self._key,
            (peer_type, peer_id),
            delivery_tool,
        )

    async def complete(self, record_id: int, *, message_id: int, sent_date: float, result_peer: str) -> None:
        """Telegram accepted the send: store its message id and date."""
        await self._db.write(
            _complete, record_id, message_id, sent_date, result_peer, self._clock(), self._key
        )

    async def mark_unverified(self, record_id: int) -> None:
        """The outcome is unknown (timeout, dropped connection, cancellation)."""
        await self._db.write(_mark_unverified, record_id, self._clock(), self._key)

    async def discard(self, record_id: int) -> None:
        """Telegram definitely refused the send: forget it, freeing its key."""
        await self._db.write(_discard, record_id, self._key)

    async def abandon_pending(self) -> int:
        """At startup: every ``pending`` row belonged to a process that is gone; returns how many."""
        return await self._db.write(_abandon_pending, self._clock(), self._key)


def _record(row: sqlite3.Row) -> SendRecord:
    state = str(row["state"])
    if state not in _STATES:
        raise StorageError(f"send record {row['id']} has an unknown state")
    return SendRecord(
        id=int(row["id"]),
        identity_id=int(row["identity_id"]),
        account_id=int(row["account_id"]),
        idempotency_key=str(row["idempotency_key"]),
        explicit_key=bool(row["explicit_key"]),
        peer=str(row["peer"]),
        text_digest=str(row["text_digest"]),
        random_id=int(row["random_id"]),
        state=cast("SendState", state),
        message_id=None if row["message_id"] is None else int(row["message_id"]),
        sent_date=None if row["sent_date"] is None else float(row["sent_date"]),
        result_peer=None if row["result_peer"] is None else str(row["result_peer"]),
        created_at=float(row["created_at"]),
        finished_at=None if row["finished_at"] is None else float(row["finished_at"]),
    )


def _select_key(conn: sqlite3.Connection, account_id: int, key: str) -> SendRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM sends WHERE account_id = ? AND idempotency_key = ?", (account_id, key)
    ).fetchone()
    return None if row is None else _record(row)


def _count_recent(conn: sqlite3.Connection, account_id: int, peer: str, since: float) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM sends WHERE account_id = ? AND peer = ? AND created_at > ?",
        (account_id, peer, since),
    ).fetchone()
    return int(row[0])


def _begin(
    conn: sqlite3.Connection,
    identity_id: int,
    account_id: int,
    key: str,
    explicit_key: bool,
    peer: str,
    text_digest: str,
    limit_per_hour: int,
    duplicate_window: float,
    now: float,
    audit_key: bytes | None,
    audit_peer: tuple[str | None, int | None],
    delivery_tool: str = DELIVERY_TOOL,
) -> BeginResult:
    conn.execute(
        "DELETE FROM sends WHERE account_id = ? AND created_at < ?",
        (account_id, now - KEY_RETENTION_SECONDS),
    )
    existing = _select_key(conn, account_id, key)
    if existing is not None:
        return BeginResult(outcome="existing", record=existing)
    if _count_recent(conn, account_id, peer, now - RATE_WINDOW_SECONDS) >= limit_per_hour:
        return BeginResult(outcome="rate_limited")
    if not explicit_key:
        twin = conn.execute(
            "SELECT 1 FROM sends WHERE account_id = ? AND peer = ? AND text_digest = ? AND created_at > ?",
            (account_id, peer, text_digest, now - duplicate_window),
        ).fetchone()
        if twin is not None:
            return BeginResult(outcome="duplicate")
    # Telegram's own random_id: a request re-sent with it is deduplicated by Telegram.
    random_id = secrets.randbits(63) or 1
    cursor = conn.execute(
        "INSERT INTO sends (identity_id, account_id, idempotency_key, explicit_key, peer, text_digest,"
        " random_id, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        (identity_id, account_id, key, int(explicit_key), peer, text_digest, random_id, now),
    )
    if audit_key is not None:
        entry = write_row(
            conn,
            audit_key,
            AuditRow(
                identity_id=identity_id,
                account_id=account_id,
                ts_ms=round(now * 1000),
                tool=delivery_tool,
                outcome="pending",
                peer_type=audit_peer[0],
                peer_id=audit_peer[1],
            ),
        )
        conn.execute("UPDATE sends SET audit_id = ? WHERE id = ?", (entry.id, cursor.lastrowid))
    row = conn.execute(f"SELECT {_COLUMNS} FROM sends WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return BeginResult(outcome="new", record=_record(row))


def _complete(
    conn: sqlite3.Connection,
    record_id: int,
    message_id: int,
    sent_date: float,
    result_peer: str,
    now: float,
    audit_key: bytes | None,
) -> None:
    _complete_audit(conn, audit_key, "id = ?", (record_id,), "sent")
    conn.execute(
        "UPDATE sends SET state = 'sent', message_id = ?, sent_date = ?, result_peer = ?, finished_at = ?"
        " WHERE id = ?",
        (message_id, sent_date, result_peer, now, record_id),
    )


def _mark_unverified(conn: sqlite3.Connection, record_id: int, now: float, audit_key: bytes | None) -> None:
    _complete_audit(conn, audit_key, "id = ? AND state = 'pending'", (record_id,), "unverified")
    conn.execute(
        "UPDATE sends SET state = 'unverified', finished_at = ? WHERE id = ? AND state = 'pending'",
        (now, record_id),
    )


def _discard(conn: sqlite3.Connection, record_id: int, audit_key: bytes | None) -> None:
    _complete_audit(conn, audit_key, "id = ? AND state = 'pending'", (record_id,), "refused")
    conn.execute("DELETE FROM sends WHERE id = ? AND state = 'pending'", (record_id,))


def _abandon_pending(conn: sqlite3.Connection, now: float, audit_key: bytes | None) -> int:
    _complete_audit(conn, audit_key, "state = 'pending'", (), "unverified")
    cursor = conn.execute(
        "UPDATE sends SET state = 'unverified', finished_at = ? WHERE state = 'pending'", (now,)
    )
    return int(cursor.rowcount)


def _complete_audit(
    conn: sqlite3.Connection, audit_key: bytes | None, where: str, params: tuple[int, ...], outcome: str
) -> None:
    """Complete the pending delivery audit rows of the records ``where`` selects."""
    if audit_key is None:
        return
    # ``where`` is always a constant from this module, never caller input.
    for row in conn.execute(
        f"SELECT audit_id FROM sends WHERE {where} AND audit_id IS NOT NULL", params
    ).fetchall():
        complete_row(conn, audit_key, int(row["audit_id"]), outcome)
