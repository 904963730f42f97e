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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.errors import StorageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

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
    Migration(
        version=2,
        name="oauth clients, authorizations, codes, token families and access grants",
        sql="""
        -- Dynamically registered public clients (RFC 7591). Lists are JSON arrays.
        CREATE TABLE oauth_clients (
            client_id      TEXT PRIMARY KEY,
            client_name    TEXT,
            redirect_uris  TEXT NOT NULL,
            grant_types    TEXT NOT NULL,
            scope          TEXT,
            created_at     REAL NOT NULL
        );

        -- An authorization request in flight, kept server-side: the browser holds only a
        -- random handle in a cookie (browser_hash is its SHA-256). stage moves
        -- signin -> consent -> approved; resume_path is where the browser continues after a
        -- step inserted between consent and the redirect back (the Telegram connect wizard).
        CREATE TABLE oauth_authorizations (
            id                  INTEGER PRIMARY KEY,
            browser_hash        TEXT UNIQUE NOT NULL,
            upstream_state_hash TEXT UNIQUE NOT NULL,
            client_id           TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
            redirect_uri        TEXT NOT NULL,
            state               TEXT,
            code_challenge      TEXT NOT NULL,
            scope               TEXT,
            resource            TEXT NOT NULL,
            upstream_verifier   TEXT NOT NULL,
            upstream_nonce      TEXT NOT NULL,
            identity_id         INTEGER REFERENCES identities(id) ON DELETE CASCADE,
            stage               TEXT NOT NULL CHECK (stage IN ('signin', 'consent', 'approved')),
            granted_scope       TEXT,
            csrf                TEXT NOT NULL,
            resume_path         TEXT,
            created_at          REAL NOT NULL,
            expires_at          REAL NOT NULL
        );

        -- One consent = one grant = one refresh-token family. scope is what the person
        -- consented to; each issue narrows it by the identity's tier at that moment.
        -- expires_at is absolute and carried forward by every rotation.
        CREATE TABLE oauth_grants (
            id           INTEGER PRIMARY KEY,
            identity_id  INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
            client_id    TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
            scope        TEXT NOT NULL,
            resource     TEXT NOT NULL,
            created_at   REAL NOT NULL,
            expires_at   REAL NOT NULL,
            revoked_at   REAL
        );

        -- Authorization codes, stored as SHA-256; used_at makes them single-use, and
        -- grant_id lets a replay revoke what the first use issued.
        CREATE TABLE oauth_codes (
            code_hash      TEXT PRIMARY KEY,
            client_id      TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
            identity_id    INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
            redirect_uri   TEXT NOT NULL,
            code_challenge TEXT NOT NULL,
            scope          TEXT NOT NULL,
            resource       TEXT NOT NULL,
            created_at     REAL NOT NULL,
            expires_at     REAL NOT NULL,
            used_at        REAL,
            grant_id       INTEGER REFERENCES oauth_grants(id) ON DELETE CASCADE
        );

        -- Refresh tokens, stored as SHA-256. A rotated token keeps its successor's hash
        -- so a concurrent refresh inside the grace window gets the same successor.
        CREATE TABLE oauth_refresh_tokens (
            token_hash     TEXT PRIMARY KEY,
            grant_id       INTEGER NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
            created_at     REAL NOT NULL,
            rotated_at     REAL,
            successor_hash TEXT
        );
        CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens(grant_id);

        -- Access tokens are JWTs; their jti ties them to a grant so revoking the grant
        -- revokes them before they expire.
        CREATE TABLE oauth_access_tokens (
            jti        TEXT PRIMARY KEY,
            grant_id   INTEGER NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
            expires_at REAL NOT NULL
        );
        CREATE INDEX oauth_access_tokens_grant ON oauth_access_tokens(grant_id);

        -- An admin's decision about an identity's Telegram access (set_telegram_access):
        -- a tier ('client' or 'none') or an explicit space-separated scope list.
        CREATE TABLE telegram_access (
            identity_id INTEGER PRIMARY KEY REFERENCES identities(id) ON DELETE CASCADE,
            tier        TEXT CHECK (tier IN ('client', 'none')),
            scopes      TEXT,
            set_by      INTEGER REFERENCES identities(id) ON DELETE SET NULL,
            updated_at  REAL NOT NULL,
            CHECK ((tier IS NULL) != (scopes IS NULL))
        );
        """,
    ),
    Migration(
        # The lead assigned this migration version 4. Versions must be contiguous
        # (_check_numbering), so it is 3 only until the migration assigned 3 lands:
        # then that one takes 3, goes before this one, and this one becomes 4.
        version=3,
        name="send records and the audit log",
        sql="""
        -- One row per real send, written 'pending' BEFORE the message goes to Telegram and
        -- completed after; 'unverified' when its outcome is unknown (never resent). The
        -- text is never stored: text_digest is a keyed digest of (identity, peer, text).
        -- idempotency_key is the caller's key ("key:<k>") or a made-up one ("auto:<hex>").
        CREATE TABLE sends (
            id              INTEGER PRIMARY KEY,
            identity_id     INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
            account_id      INTEGER NOT NULL REFERENCES telegram_accounts(id) ON DELETE CASCADE,
            idempotency_key TEXT NOT NULL,
            explicit_key    INTEGER NOT NULL,
            peer            TEXT NOT NULL,
            text_digest     TEXT NOT NULL,
            random_id       INTEGER NOT NULL,
            state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'unverified')),
            message_id      INTEGER,
            sent_date       REAL,
            result_peer     TEXT,
            created_at      REAL NOT NULL,
            finished_at     REAL,
            UNIQUE (identity_id, idempotency_key)
        );
        CREATE INDEX sends_by_peer ON sends (identity_id, peer, created_at);

        -- One row per tool call: no arguments, no text; the peer as type and numeric id.
        -- Each identity's rows are a hash chain (prev_hash -> entry_hash), see storage/audit.py.
        CREATE TABLE audit_log (
            id          INTEGER PRIMARY KEY,
            identity_id INTEGER REFERENCES identities(id) ON DELETE CASCADE,
            ts_ms       INTEGER NOT NULL,
            tool        TEXT NOT NULL,
            peer_type   TEXT,
            peer_id     INTEGER,
            outcome     TEXT NOT NULL,
            prev_hash   TEXT NOT NULL,
            entry_hash  TEXT NOT NULL UNIQUE
        );
        CREATE INDEX audit_log_by_identity ON audit_log (identity_id, id);
        """,
    ),
    Migration(
        version=4,
        name="keyed audit log; send ledger links its audit row; broken sessions are marked",
        sql="""
        -- row_mac: MAC over (entry_hash, outcome); NULL on rows written before keying,
        -- which are keyed once at startup (storage/audit.py, adopt_unkeyed_rows).
        ALTER TABLE audit_log ADD COLUMN row_mac TEXT;

        -- One keyed head per chain ('identity:<id>' or 'none'): how many rows, which is
        -- the newest and its link, so a cut chain shows. No foreign key on purpose: the
        -- head must outlive its rows for a removed chain to show.
        CREATE TABLE audit_chains (
            chain     TEXT PRIMARY KEY,
            ordinal   INTEGER NOT NULL UNIQUE,
            rows      INTEGER NOT NULL,
            head_id   INTEGER NOT NULL,
            head_link TEXT NOT NULL,
            mac       TEXT NOT NULL
        );

        -- The keyed count of chains and rows: removing a chain together with its head shows.
        CREATE TABLE audit_anchor (
            id     INTEGER PRIMARY KEY CHECK (id = 1),
            chains INTEGER NOT NULL,
            rows   INTEGER NOT NULL,
            mac    TEXT NOT NULL
        );

        -- The delivery audit row written with the ledger entry, completed with it.
        ALTER TABLE sends ADD COLUMN audit_id INTEGER;

        -- Set when the account's sealed session did not open (tampered, moved, another
        -- key): every surface then says so, until it opens again or is reconnected.
        ALTER TABLE telegram_accounts ADD COLUMN broken_at REAL;
        """,
    ),
    Migration(
        version=5,
        name="browser sign-outs and OAuth housekeeping",
        sql="""
        -- When an identity last ended all its browser sessions (sign-out, disconnect,
        -- delete): a session cookie issued at or before this moment is refused.
        CREATE TABLE web_sessions_ended (
            identity_id INTEGER PRIMARY KEY REFERENCES identities(id) ON DELETE CASCADE,
            ended_at    REAL NOT NULL
        );
        -- When a client last completed an authorization or refreshed (NULL: never).
        ALTER TABLE oauth_clients ADD COLUMN last_used_at REAL;
        CREATE INDEX oauth_clients_by_use ON oauth_clients (last_used_at, created_at);
        -- Which refresh token an access token was issued with, and its first use at /mcp.
        ALTER TABLE oauth_access_tokens ADD COLUMN refresh_hash TEXT;
        ALTER TABLE oauth_access_tokens ADD COLUMN used_at REAL;
        CREATE INDEX oauth_access_tokens_by_refresh ON oauth_access_tokens (refresh_hash);
        """,
    ),
    Migration(
        version=6,
        name="several Telegram accounts per identity: labels, a default, sends and audit per account",
        sql="""
        -- Rebuilt without UNIQUE(identity_id): an identity holds several accounts, each
        -- with a label unique to it and exactly one default (the partial index below).
        -- AUTOINCREMENT: an id, which callers may name, is never given to a later account.
        -- telegram_user_id stays UNIQUE: one Telegram user (one auth key owner) is
        -- connected at most once. The existing account becomes the default, "main".
        CREATE TABLE telegram_accounts_v6 (
            id               INTEGER PRIMARY KEY AUTOINCREMENT,
            identity_id      INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
            label            TEXT NOT NULL,
            is_default       INTEGER NOT NULL DEFAULT 0,
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
            sandbox          INTEGER NOT NULL DEFAULT 0,
            broken_at        REAL,
            UNIQUE (identity_id, label)
        );
        INSERT INTO telegram_accounts_v6 (id, identity_id, label, is_default, telegram_user_id, username,
            display_name, status, send_enabled, device_name, session_blob, created_at, last_used_at,
            revoked_at, sandbox, broken_at)
        SELECT id, identity_id, 'main', 1, telegram_user_id, username, display_name, status, send_enabled,
            device_name, session_blob, created_at, last_used_at, revoked_at, sandbox, broken_at
        FROM telegram_accounts;

        -- Idempotency keys, the per-peer limit and the duplicate window are per account.
        -- Built against telegram_accounts_v6 so dropping the old tables cascades into
        -- nothing; the renames below point it at telegram_accounts.
        CREATE TABLE sends_v6 (
            id              INTEGER PRIMARY KEY,
            identity_id     INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
            account_id      INTEGER NOT NULL REFERENCES telegram_accounts_v6(id) ON DELETE CASCADE,
            idempotency_key TEXT NOT NULL,
            explicit_key    INTEGER NOT NULL,
            peer            TEXT NOT NULL,
            text_digest     TEXT NOT NULL,
            random_id       INTEGER NOT NULL,
            state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'unverified')),
            message_id      INTEGER,
            sent_date       REAL,
            result_peer     TEXT,
            created_at      REAL NOT NULL,
            finished_at     REAL,
            audit_id        INTEGER,
            UNIQUE (account_id, idempotency_key)
        );
        INSERT INTO sends_v6 SELECT id, identity_id, account_id, idempotency_key, explicit_key, peer,
            text_digest, random_id, state, message_id, sent_date, result_peer, created_at, finished_at,
            audit_id FROM sends;
        DROP TABLE sends;
        DROP TABLE telegram_accounts;
        ALTER TABLE telegram_accounts_v6 RENAME TO telegram_accounts;
        ALTER TABLE sends_v6 RENAME TO sends;
        CREATE UNIQUE INDEX telegram_accounts_one_default ON telegram_accounts (identity_id)
            WHERE is_default = 1;
        CREATE INDEX sends_by_peer ON sends (account_id, peer, created_at);

        -- Which account a tool call used (NULL: none, or written before this version).
        -- No foreign key: audit rows outlive a deleted account, and a SET NULL would
        -- break the row's MAC, which covers it.
        ALTER TABLE audit_log ADD COLUMN account_id INTEGER;
        """,
    ),
    Migration(
        version=7,
        name="worker tokens",
        sql="""
        -- Long-lived access tokens an admin or the operator minted for automation (a canary,
        -- a script): JWTs of this issuer with a purpose claim, known here by jti so they are
        -- listed and revocable. scope never exceeds the identity's tier (checked at mint and
        -- narrowed again at every use). created_by is the admin who minted it (NULL: the
        -- operator's command line). last_used_at is written at most once a minute,
        -- use_audited_at marks the newest "worker_token:use" audit row.
        CREATE TABLE worker_tokens (
            id             INTEGER PRIMARY KEY,
            jti            TEXT UNIQUE NOT NULL,
            identity_id    INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
            scope          TEXT NOT NULL,
            purpose        TEXT NOT NULL,
            created_by     INTEGER REFERENCES identities(id) ON DELETE SET NULL,
            created_at     REAL NOT NULL,
            expires_at     REAL NOT NULL,
            revoked_at     REAL,
            last_used_at   REAL,
            use_audited_at REAL
        );
        CREATE INDEX worker_tokens_by_identity ON worker_tokens (identity_id, id);
        """,
    ),
    Migration(
        version=8,
        name="sharing rules",
        sql="""
        -- Which chats of an account the person shares with assistants (telegram/sharing.py);
        -- no row: every chat. A rule that does not parse shares nothing.
        CREATE TABLE sharing_rules (
            account_id INTEGER PRIMARY KEY REFERENCES telegram_accounts(id) ON DELETE CASCADE,
            rule       TEXT NOT NULL,
            updated_at REAL NOT NULL
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
    clock: Clock = SYSTEM_CLOCK,
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
