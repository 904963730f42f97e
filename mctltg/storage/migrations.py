"""The database schema, as an ordered list of migrations applied once each at startup.

Every schema change is a new :class:`Migration` appended to :data:`MIGRATIONS` with the
next version number; a released migration is never edited, because databases in the
field have already applied it. :func:`apply_migrations` runs at every open: it applies
each missing migration in its own transaction and records it in ``schema_migrations``,
so re-opening is a no-op and a failed migration leaves the schema as it was. A database
written by a newer mctltg (a version this code does not know) is refused rather than
guessed at.

Write plain SQLite DDL, one statement per ``;``. Tables that hold rows belonging to a
Telegram account reference ``telegram_accounts(id) ON DELETE CASCADE`` so that deleting
an account removes everything keyed by it.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

__all__ = ["MIGRATIONS", "Migration", "apply_migrations", "schema_version"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """One schema change: ``sql`` runs in a single transaction, then ``version`` is recorded."""

    version: int
    name: str
    sql: str

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError(f"migration versions start at 1 (got {self.version})")
        if not self.name.strip():
            raise ValueError(f"migration {self.version} needs a name")


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(
        version=1,
        name="identities and telegram accounts",
        sql="""
        -- Who signs in to mctltg: "operator" in local development, "tg:<id>" via
        -- Telegram sign-in. telegram_user_id is set only when sign-in proved it.
        CREATE TABLE identities (
            id               INTEGER PRIMARY KEY,
            subject          TEXT UNIQUE NOT NULL,
            telegram_user_id INTEGER UNIQUE,
            display_name     TEXT NOT NULL DEFAULT '',
            created_at       REAL NOT NULL
        );

        -- The Telegram account an identity connected: at most one per identity, and a
        -- Telegram user belongs to at most one identity. session_blob is the Telethon
        -- session sealed by mctltg.crypto.Sealer, bound to "telegram_account:<id>".
        CREATE TABLE telegram_accounts (
            id               INTEGER PRIMARY KEY,
            identity_id      INTEGER NOT NULL UNIQUE REFERENCES identities(id) ON DELETE CASCADE,
            telegram_user_id INTEGER UNIQUE,
            username         TEXT,
            display_name     TEXT NOT NULL DEFAULT '',
            status           TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
            send_enabled     INTEGER NOT NULL DEFAULT 0,
            device_name      TEXT NOT NULL,
            session_blob     BLOB,
            created_at       REAL NOT NULL,
            last_used_at     REAL,
            revoked_at       REAL,
            sandbox          INTEGER NOT NULL DEFAULT 0
        );
        """,
    ),
    # Append new migrations here, with the next version number.
)


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the highest migration version recorded in ``conn``'s database (0 if none)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])


def apply_migrations(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    clock: Callable[[], float] = time.time,
) -> tuple[int, ...]:
    """Apply every migration newer than the database's version, each in its own transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``) with no transaction
    open; this function opens and ends its own.

    Returns:
        The versions applied now, in order (empty when the schema was already current).

    Raises:
        StorageError: the database's schema is newer than the newest migration known
            here, or a migration failed (its transaction is rolled back).
        ValueError: ``migrations`` is not numbered 1, 2, 3, … in order.
    """
    _check_numbering(migrations)
    latest = migrations[-1].version if migrations else 0
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    _refuse_newer(conn, latest)
    applied: list[int] = []
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Checked again inside the write lock, in case another process migrated.
            current = _refuse_newer(conn, latest)
            if migration.version > current:
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, clock()),
                )
                applied.append(migration.version)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StorageError(
                    f"database migration {migration.version} ({migration.name}) failed: {exc}"
                ) from exc
            raise
    return tuple(applied)


def _refuse_newer(conn: sqlite3.Connection, latest: int) -> int:
    current = schema_version(conn)
    if current > latest:
        raise StorageError(
            f"the database has schema version {current}, but this mctltg knows versions up to "
            f"{latest} only; it was written by a newer mctltg, so run that version (or point "
            "mctltg at another database)"
        )
    return current


def _check_numbering(migrations: Sequence[Migration]) -> None:
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(
                f"migration {migration.name!r} has version {migration.version}, expected {expected}"
            )


def _statements(sql: str) -> Iterator[str]:
    """Split a script into statements at ``;`` tokens (not inside strings or triggers).

    ``sqlite3.Connection.executescript`` would be simpler, but it commits any open
    transaction first, which would break "one migration, one transaction".
    """
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise ValueError("migration SQL ends inside an unfinished statement")
