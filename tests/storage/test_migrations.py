"""Schema migrations (mctltg/storage/migrations.py)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from mctltg.errors import StorageError
from mctltg.storage import MIGRATIONS, Migration, open_database, schema_version
from mctltg.storage.migrations import apply_migrations

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def raw(db_path: str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _applied(db_path: str) -> list[tuple[int, str, float]]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        ).fetchall()
    finally:
        conn.close()
    return [(int(v), str(n), float(a)) for v, n, a in rows]


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall()
    return {str(name) for (name,) in rows}


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


async def test_migrations_apply_once_and_reopening_is_a_no_op(db_path: str) -> None:
    async with open_database(db_path):
        pass
    first = _applied(db_path)

    async with open_database(db_path):
        pass

    assert [(v, n) for v, n, _ in first] == [(m.version, m.name) for m in MIGRATIONS]
    assert _applied(db_path) == first


async def test_migration_1_creates_identities_and_telegram_accounts(db_path: str) -> None:
    async with open_database(db_path):
        pass

    conn = sqlite3.connect(db_path)
    try:
        assert {"identities", "telegram_accounts", "schema_migrations"} <= _tables(conn)
        assert schema_version(conn) == len(MIGRATIONS)
    finally:
        conn.close()


async def test_a_database_from_a_newer_mctltg_is_refused(db_path: str) -> None:
    async with open_database(db_path):
        pass
    conn = sqlite3.connect(db_path, isolation_level=None)
    newer = len(MIGRATIONS) + 5
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)",
        (newer,),
    )
    conn.close()

    with pytest.raises(StorageError, match=f"schema version {newer}.*newer mctltg"):
        async with open_database(db_path):
            pass


def test_a_failing_migration_is_rolled_back_whole(raw: sqlite3.Connection) -> None:
    broken = Migration(
        version=2,
        name="half good",
        sql="CREATE TABLE half (a INTEGER);\nINSERT INTO no_such_table VALUES (1);",
    )

    with pytest.raises(StorageError, match="migration 2 \\(half good\\) failed") as caught:
        apply_migrations(raw, (MIGRATIONS[0], broken))

    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert "half" not in _tables(raw)
    assert schema_version(raw) == 1
    assert not raw.in_transaction


def test_statements_split_at_semicolons_outside_strings_and_trigger_bodies(
    raw: sqlite3.Connection,
) -> None:
    migration = Migration(
        version=1,
        name="tricky",
        sql="""
        -- a comment; with a semicolon
        CREATE TABLE notes (body TEXT NOT NULL); CREATE TABLE log (what TEXT);
        CREATE TRIGGER notes_log AFTER INSERT ON notes BEGIN
            INSERT INTO log (what) VALUES ('inserted; really');
        END;
        INSERT INTO notes (body) VALUES ('a;b');
        """,
    )

    assert apply_migrations(raw, (migration,)) == (1,)

    assert raw.execute("SELECT body FROM notes").fetchall() == [("a;b",)]
    assert raw.execute("SELECT what FROM log").fetchall() == [("inserted; really",)]
    assert apply_migrations(raw, (migration,)) == ()


def test_migrations_out_of_order_are_refused(raw: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="expected 2"):
        apply_migrations(raw, (MIGRATIONS[0], Migration(version=3, name="skip", sql="")))


def test_a_migration_needs_a_positive_version_and_a_name() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        Migration(version=0, name="zero", sql="")
    with pytest.raises(ValueError, match="needs a name"):
        Migration(version=1, name=" ", sql="")


def test_migration_6_keeps_the_one_account_as_the_default_main_and_its_sends_per_account(
    raw: sqlite3.Connection,
) -> None:
    apply_migrations(raw, MIGRATIONS[:5])
    raw.execute("INSERT INTO identities (id, subject, created_at) VALUES (1, 'tg:1', 0)")
    raw.execute(
        "INSERT INTO telegram_accounts (id, identity_id, telegram_user_id, status, send_enabled, device_name,"
        " created_at) VALUES (4, 1, 100, 'active', 1, 'd', 0)"
    )
    send = (
        "INSERT INTO sends (identity_id, account_id, idempotency_key, explicit_key, peer, text_digest,"
        " random_id, state, created_at) VALUES (1, ?, 'key:k', 1, 'user:5', 'x', 9, 'sent', 0)"
    )
    raw.execute(send, (4,))

    apply_migrations(raw)
    raw.execute(
        "INSERT INTO telegram_accounts (identity_id, label, telegram_user_id, status, device_name,"
        " created_at) VALUES (1, 'work', 200, 'active', 'd', 0)"
    )
    raw.execute(send, (5,))  # the same key on the second account is its own

    accounts = raw.execute(
        "SELECT id, label, is_default, send_enabled FROM telegram_accounts ORDER BY id"
    ).fetchall()
    assert accounts == [(4, "main", 1, 1), (5, "work", 0, 0)]
    assert raw.execute("SELECT account_id FROM sends ORDER BY id").fetchall() == [(4,), (5,)]
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute(send, (4,))
    with pytest.raises(sqlite3.IntegrityError):  # one default per identity
        raw.execute("UPDATE telegram_accounts SET is_default = 1 WHERE id = 5")
    assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
