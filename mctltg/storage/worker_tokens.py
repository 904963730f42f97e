"""Worker tokens: long-lived access tokens minted for automation, kept so they can be listed and revoked.

The token itself (a JWT) is never stored, only its ``jti``, like every access token
here. A row stays after revocation or expiry (``revoked_at`` / ``expires_at``), so the
listing shows what existed and when it ended; revoked rows never come back to life.

Use is recorded cheaply: ``last_used_at`` at most once per ``USE_EVERY`` seconds, and
``use_audited_at`` when the caller wrote a ``worker_token:use`` audit row (at most one
per ``AUDIT_USE_EVERY``), both decided in the one read the verification makes anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["WorkerTokenRow", "WorkerTokenStore", "WorkerUse"]

#: Seconds between two ``last_used_at`` writes for one token (a canary calls several times a run).
USE_EVERY: Final = 60.0

_COLUMNS: Final = (
    "w.id, w.jti, w.identity_id, i.subject, i.telegram_user_id, w.scope, w.purpose, w.created_by,"
    " w.created_at, w.expires_at, w.revoked_at, w.last_used_at, w.use_audited_at"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerTokenRow:
    """One worker token as stored (never the token itself)."""

    id: int
    jti: str
    identity_id: int
    subject: str
    telegram_user_id: int | None
    scopes: tuple[str, ...]
    purpose: str
    created_by: int | None
    created_at: float
    expires_at: float
    revoked_at: float | None
    last_used_at: float | None
    use_audited_at: float | None

    def live(self, now: float) -> bool:
        return self.revoked_at is None and self.expires_at >= now


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerUse:
    """What one verification found: the row, and whether this use should be audited."""

    row: WorkerTokenRow
    audit: bool


class WorkerTokenStore:
    """Reads and writes ``worker_tokens``.

    Args:
        db: the open database.
        clock: wall-clock seconds.
    """

    def __init__(self, db: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self.clock = clock

    async def add(
        self,
        *,
        jti: str,
        identity_id: int,
        scopes: tuple[str, ...],
        purpose: str,
        created_by: int | None,
        expires_at: float,
    ) -> WorkerTokenRow:
        return await self._db.write(
            _insert, jti, identity_id, " ".join(scopes), purpose, created_by, self.clock(), expires_at
        )

    async def get(self, jti: str) -> WorkerTokenRow | None:
        return await self._db.read(_select_one, "w.jti = ?", jti)

    async def listing(self, identity_id: int | None = None, *, limit: int = 100) -> list[WorkerTokenRow]:
        """Newest first; every identity's when ``identity_id`` is None."""
        return await self._db.read(_select_many, identity_id, limit)

    async def revoke(self, *, jti: str | None = None, identity_id: int | None = None) -> list[WorkerTokenRow]:
        """Revoke one token (by ``jti``) or every live token of an identity; the rows revoked now."""
        if (jti is None) == (identity_id is None):
            raise ValueError("give exactly one of jti and identity_id")
        return await self._db.write(_revoke, jti, identity_id, self.clock())

    async def use(self, jti: str, *, audit_every: float) -> WorkerUse | None:
        """The live token ``jti`` at a use, recording the use; None when unknown, revoked or expired.

        ``audit`` says the caller should write a use audit row now (none written for this
        token within ``audit_every`` seconds); the mark is set in the same write.
        """
        now = self.clock()
        row = await self._db.read(_select_one, "w.jti = ?", jti)
        if row is None or not row.live(now):
            return None
        audit = row.use_audited_at is None or now - row.use_audited_at >= audit_every
        touch = row.last_used_at is None or now - row.last_used_at >= USE_EVERY
        if audit or touch:
            # The audit claim is re-checked inside the write: of two uses at once, one audits.
            audit = await self._db.write(_mark_use, row.id, now, audit_every if audit else None)
        return WorkerUse(row=row, audit=audit)


# -- SQL, run on the database threads ----------------------------------------------------


def _row(row: sqlite3.Row) -> WorkerTokenRow:
    def optional(value: object) -> float | None:
        return None if value is None else float(value)  # type: ignore[arg-type]

    return WorkerTokenRow(
        id=int(row["id"]),
        jti=str(row["jti"]),
        identity_id=int(row["identity_id"]),
        subject=str(row["subject"]),
        telegram_user_id=None if row["telegram_user_id"] is None else int(row["telegram_user_id"]),
        scopes=tuple(str(row["scope"]).split()),
        purpose=str(row["purpose"]),
        created_by=None if row["created_by"] is None else int(row["created_by"]),
        created_at=float(row["created_at"]),
        expires_at=float(row["expires_at"]),
        revoked_at=optional(row["revoked_at"]),
        last_used_at=optional(row["last_used_at"]),
        use_audited_at=optional(row["use_audited_at"]),
    )


def _insert(
    conn: sqlite3.Connection,
    jti: str,
    identity_id: int,
    scope: str,
    purpose: str,
    created_by: int | None,
    now: float,
    expires_at: float,
) -> WorkerTokenRow:
    cursor = conn.execute(
        "INSERT INTO worker_tokens (jti, identity_id, scope, purpose, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (jti, identity_id, scope, purpose, created_by, now, expires_at),
    )
    found = _select_one(conn, "w.id = ?", cursor.lastrowid)
    assert found is not None
    return found


def _select_one(conn: sqlite3.Connection, where: str, value: object) -> WorkerTokenRow | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM worker_tokens w JOIN identities i ON i.id = w.identity_id WHERE {where}",
        (value,),
    ).fetchone()
    return None if row is None else _row(row)


def _select_many(conn: sqlite3.Connection, identity_id: int | None, limit: int) -> list[WorkerTokenRow]:
    where, args = ("w.identity_id = ?", (identity_id, limit)) if identity_id is not None else ("1", (limit,))
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM worker_tokens w JOIN identities i ON i.id = w.identity_id"
        f" WHERE {where} ORDER BY w.id DESC LIMIT ?",
        args,
    ).fetchall()
    return [_row(row) for row in rows]


def _revoke(
    conn: sqlite3.Connection, jti: str | None, identity_id: int | None, now: float
) -> list[WorkerTokenRow]:
    where, value = ("w.jti = ?", jti) if jti is not None else ("w.identity_id = ?", identity_id)
    ids = [
        int(row["id"])
        for row in conn.execute(
            f"SELECT w.id FROM worker_tokens w WHERE {where} AND w.revoked_at IS NULL AND w.expires_at >= ?",
            (value, now),
        ).fetchall()
    ]
    revoked = []
    for row_id in ids:
        conn.execute("UPDATE worker_tokens SET revoked_at = ? WHERE id = ?", (now, row_id))
        found = _select_one(conn, "w.id = ?", row_id)
        assert found is not None
        revoked.append(found)
    return revoked


def _mark_use(conn: sqlite3.Connection, row_id: int, now: float, audit_every: float | None) -> bool:
    conn.execute("UPDATE worker_tokens SET last_used_at = ? WHERE id = ?", (now, row_id))
    if audit_every is None:
        return False
    claimed = conn.execute(
        "UPDATE worker_tokens SET use_audited_at = ? WHERE id = ?"
        " AND (use_audited_at IS NULL OR use_audited_at <= ?)",
        (now, row_id, now - audit_every),
    )
    return claimed.rowcount == 1
