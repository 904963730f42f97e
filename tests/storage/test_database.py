"""The writer thread, reader pool and lifecycle (mctltg/storage/database.py)."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from typing import TYPE_CHECKING

import pytest
import trio
import trio.testing

from mctltg.errors import StorageError
from mctltg.storage import Database, Identities, open_database

if TYPE_CHECKING:
    from pathlib import Path

    from trio.testing import MockClock


def _insert(conn: sqlite3.Connection, subject: str) -> int:
    cursor = conn.execute("INSERT INTO identities (subject, created_at) VALUES (?, 0)", (subject,))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _subjects(conn: sqlite3.Connection) -> list[str]:
    return [str(row[0]) for row in conn.execute("SELECT subject FROM identities ORDER BY id")]


def _nothing(conn: sqlite3.Connection) -> None:
    return None


async def _wait_in_thread(event: threading.Event) -> None:
    assert await trio.to_thread.run_sync(event.wait, 5), "the writer thread never got there"


async def test_a_write_returns_what_its_function_returns(db: Database) -> None:
    row_id = await db.write(_insert, "alice")

    assert row_id == 1
    assert await db.read(_subjects) == ["alice"]


async def test_a_write_that_raises_rolls_back_and_leaves_no_row(db: Database) -> None:
    class Boom(Exception):
        pass

    def insert_then_fail(conn: sqlite3.Connection) -> None:
        _insert(conn, "ghost")
        raise Boom

    with pytest.raises(Boom):
        await db.write(insert_then_fail)

    assert await db.read(_subjects) == []
    assert db.statistics().failures == 1


async def test_sqlite_errors_become_storage_errors_with_the_cause_chained(db: Database) -> None:
    await db.write(_insert, "alice")

    with pytest.raises(StorageError, match="UNIQUE constraint failed") as caught:
        await db.write(_insert, "alice")

    assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
    assert "_insert" in str(caught.value)


async def test_fifty_concurrent_writers_all_land(db: Database) -> None:
    identities = Identities(db)

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            for n in range(50):
                nursery.start_soon(identities.ensure, f"user-{n}")

    assert sorted(await db.read(_subjects)) == sorted(f"user-{n}" for n in range(50))
    assert db.statistics().writes >= 50
    assert db.statistics().queue_length == 0


async def test_reads_see_committed_writes_while_a_write_transaction_is_open(
    db: Database,
) -> None:
    await db.write(_insert, "committed")
    inside, release = threading.Event(), threading.Event()

    def slow_write(conn: sqlite3.Connection) -> None:
        _insert(conn, "uncommitted")
        inside.set()
        assert release.wait(5)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(db.write, slow_write)
            await _wait_in_thread(inside)
            try:
                seen_during = await db.read(_subjects)
            finally:
                release.set()

    assert seen_during == ["committed"]
    assert await db.read(_subjects) == ["committed", "uncommitted"]


async def test_cancelling_the_waiting_task_mid_write_still_commits_the_whole_transaction(
    db: Database,
) -> None:
    inside, release = threading.Event(), threading.Event()

    def two_rows(conn: sqlite3.Connection) -> None:
        _insert(conn, "first")
        inside.set()
        assert release.wait(5)
        _insert(conn, "second")

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(db.write, two_rows)
            await _wait_in_thread(inside)
            nursery.cancel_scope.cancel()
        release.set()
        await db.write(_nothing)  # queued behind two_rows, so it has finished by now

    assert await db.read(_subjects) == ["first", "second"]


async def test_cancelling_mid_write_then_failing_leaves_nothing_half_written(
    db: Database,
) -> None:
    inside, release = threading.Event(), threading.Event()

    def first_row_then_fail(conn: sqlite3.Connection) -> None:
        _insert(conn, "first")
        inside.set()
        assert release.wait(5)
        _insert(conn, "first")  # UNIQUE violation: the whole job rolls back

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(db.write, first_row_then_fail)
            await _wait_in_thread(inside)
            nursery.cancel_scope.cancel()
        release.set()
        await db.write(_nothing)

    assert await db.read(_subjects) == []


async def test_a_write_cancelled_while_queued_never_runs(db: Database) -> None:
    inside, release = threading.Event(), threading.Event()

    def blocker(conn: sqlite3.Connection) -> None:
        inside.set()
        assert release.wait(5)

    with trio.fail_after(5):
        async with trio.open_nursery() as blocking:
            blocking.start_soon(db.write, blocker)
            await _wait_in_thread(inside)
            async with trio.open_nursery() as queued:
                queued.start_soon(db.write, _insert, "never")
                await trio.testing.wait_all_tasks_blocked()
                assert db.statistics().queue_length == 1
                queued.cancel_scope.cancel()
            release.set()
        await db.write(_nothing)

    assert await db.read(_subjects) == []


async def test_a_write_that_outlasts_the_timeout_raises_and_still_commits_atomically(
    db_path: str, mock_clock: MockClock
) -> None:
    inside, release = threading.Event(), threading.Event()

    def slow(conn: sqlite3.Connection) -> None:
        _insert(conn, "late")
        inside.set()
        assert release.wait(5)

    async def attempt(db: Database) -> None:
        with pytest.raises(StorageError, match="write did not finish within 3 s"):
            await db.write(slow)

    async with open_database(db_path, timeout=3) as db:
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(attempt, db)
                await _wait_in_thread(inside)
                mock_clock.autojump_threshold = 0  # virtual time now jumps to the deadline
        finally:
            mock_clock.autojump_threshold = float("inf")
            release.set()
        with trio.fail_after(5):
            await db.write(_nothing)
            assert await db.read(_subjects) == ["late"]


async def test_a_read_that_outlasts_the_timeout_is_interrupted(db_path: str, mock_clock: MockClock) -> None:
    inside, finished = threading.Event(), threading.Event()
    errors: list[sqlite3.Error] = []

    def forever(conn: sqlite3.Connection) -> None:
        inside.set()
        try:
            conn.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
            ).fetchone()
        except sqlite3.Error as exc:
            errors.append(exc)
            raise
        finally:
            finished.set()

    async def attempt(db: Database) -> None:
        with pytest.raises(StorageError, match="read did not finish within 3 s"):
            await db.read(forever)

    async with open_database(db_path, timeout=3) as db:
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(attempt, db)
                await _wait_in_thread(inside)
                mock_clock.autojump_threshold = 0
        finally:
            mock_clock.autojump_threshold = float("inf")
        await _wait_in_thread(finished)
        assert [str(e) for e in errors] == ["interrupted"]
        with trio.fail_after(5):
            for _ in range(8):
                assert await db.read(_subjects) == []


async def test_reads_cannot_write(db: Database) -> None:
    with pytest.raises(StorageError, match="readonly"):
        await db.read(_insert, "sneaky")

    assert await db.read(_subjects) == []


async def test_the_connections_use_wal_foreign_keys_and_secure_delete(db: Database) -> None:
    def pragmas(conn: sqlite3.Connection) -> tuple[object, ...]:
        return tuple(
            conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "foreign_keys", "secure_delete", "synchronous")
        )

    assert await db.write(pragmas) == ("wal", 1, 1, 1)  # synchronous 1 = NORMAL
    assert (await db.read(pragmas))[:3] == ("wal", 1, 1)


async def test_ping_and_statistics_count_the_work(db: Database) -> None:
    await db.ping()
    await db.write(_insert, "a")
    await db.read(_subjects)

    stats = db.statistics()

    assert stats.writes == 1
    assert stats.reads == 2  # the ping's read and ours
    assert stats.failures == 0
    assert stats.queue_length == 0


async def test_checkpoint_empties_the_wal(db: Database) -> None:
    await db.write(_insert, "alice")
    assert os.path.getsize(db.path + "-wal") > 0

    await db.checkpoint()

    assert os.path.getsize(db.path + "-wal") == 0
    assert await db.read(_subjects) == ["alice"]


async def test_a_closed_database_refuses_work(db_path: str) -> None:
    async with open_database(db_path) as db:
        pass

    with pytest.raises(StorageError, match="closed"):
        await db.write(_nothing)
    with pytest.raises(StorageError, match="closed"):
        await db.read(_nothing)


async def test_writes_queued_before_closing_finish_before_the_thread_stops(
    db_path: str,
) -> None:
    async with open_database(db_path) as db, trio.open_nursery() as nursery:
        for n in range(5):
            nursery.start_soon(db.write, _insert, f"user-{n}")

    async with open_database(db_path) as db:
        assert len(await db.read(_subjects)) == 5


async def test_a_file_uri_opens_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "by uri.sqlite3"
    async with open_database(f"file:{path.as_posix().replace(' ', '%20')}?cache=private") as db:
        await db.write(_insert, "alice")
        assert db.path == str(path)

    async with open_database(str(path)) as db:
        assert await db.read(_subjects) == ["alice"]


@pytest.mark.parametrize("url", [":memory:", "", "file::memory:", "file:x?mode=memory"])
async def test_an_in_memory_database_is_refused(url: str) -> None:
    with pytest.raises(StorageError, match="must be a file"):
        async with open_database(url):
            pass


async def test_the_database_file_is_readable_by_its_owner_only(db: Database) -> None:
    await db.write(_insert, "alice")

    for suffix in ("", "-wal"):
        mode = stat.S_IMODE(os.stat(db.path + suffix).st_mode)
        assert mode & 0o077 == 0, f"{suffix or 'main file'} is {oct(mode)}"


async def test_a_directory_that_does_not_exist_gives_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot create the database file"):
        async with open_database(str(tmp_path / "missing" / "db.sqlite3")):
            pass
