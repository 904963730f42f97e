"""SQLite from Trio: one writer thread that owns every write, and a few reader connections.

``aiosqlite`` cannot run under Trio, and SQLite allows one writer at a time anyway, so
all writes go through a single dedicated thread that owns the write connection: jobs
arrive on a :class:`queue.Queue`, each runs inside ``BEGIN IMMEDIATE … COMMIT`` (rolled
back on any exception), and the result travels back to the awaiting Trio task through
``TrioToken.run_sync_soon``. WAL lets reads run beside that writer, so reads use their
own connections from Trio's thread pool under a :class:`trio.CapacityLimiter`.

A write function sees the whole transaction: it runs on the writer thread, gets the
``sqlite3.Connection`` as its first argument, and must neither commit nor roll back. If
the awaiting task is cancelled (or times out) before the writer picks the job up, the
job never runs; if it is already running, it commits or rolls back as a whole and its
result is dropped. Either way nothing is ever half-written.

``secure_delete`` is on, so deleted rows are zeroed in the pages SQLite writes;
:meth:`Database.checkpoint` then moves those pages into the main file and truncates the
WAL, so a deleted session leaves no bytes behind on disk.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sqlite3
import threading
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, TypeVarTuple

import outcome
import trio

from mctltg.errors import StorageError
from mctltg.storage.migrations import apply_migrations

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

__all__ = ["Database", "DatabaseStatistics", "open_database"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

_READERS: Final = 4
_BUSY_TIMEOUT_MS: Final = 5000
_PROGRESS_STEPS: Final = 1000  # SQLite VM steps between checks for an abandoned read


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseStatistics:
    """A snapshot of the database's work, for ``/metrics``.

    Attributes:
        writes: write transactions committed.
        reads: reads completed.
        failures: writes and reads that raised (rolled back, for writes).
        queue_length: jobs waiting for the writer thread right now.
    """

    writes: int
    reads: int
    failures: int
    queue_length: int


class _Job(Generic[T]):
    """One unit of work for the writer thread, and the box its outcome comes back in."""

    __slots__ = ("_lock", "_state", "args", "done", "fn", "result", "transactional")

    def __init__(self, fn: Callable[..., T], args: tuple[object, ...], *, transactional: bool) -> None:
        self.fn = fn
        self.args = args
        self.transactional = transactional
        self.done = trio.Event()
        self.result: outcome.Outcome[T] | None = None
        self._lock = threading.Lock()
        self._state = "queued"

    def claim(self) -> bool:
        """Writer thread: take the job unless its caller gave up while it was queued."""
        with self._lock:
            if self._state == "abandoned":
                return False
            self._state = "running"
            return True

    def abandon(self) -> None:
        """Trio thread: the caller stopped waiting; a job not yet started never will."""
        with self._lock:
            if self._state == "queued":
                self._state = "abandoned"


class _ReadSlot:
    """Tells a reader thread that its caller gave up, so its query stops early.

    SQLite calls the progress handler every few hundred virtual-machine steps; a true
    return aborts the statement with "interrupted". Unlike ``Connection.interrupt()``,
    this cannot miss a statement that starts just after the caller gave up.
    """

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True  # a plain attribute store: atomic under the GIL

    def should_abort(self) -> bool:
        return self.cancelled


class Database:
    """The application's SQLite database; made by :func:`open_database`, not directly.

    Attributes:
        path: the database file on disk (its WAL is ``path + "-wal"``).
    """

    def __init__(self, *, url: str, path: str, uri: bool, timeout: float) -> None:
        self.path = path
        self._url = url
        self._uri = uri
        self._timeout = timeout
        self._token = trio.lowlevel.current_trio_token()
        self._jobs: queue.Queue[_Job[Any] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._write_conn: sqlite3.Connection | None = None
        self._idle_readers: queue.Queue[sqlite3.Connection] = queue.Queue()
        self._read_limiter = trio.CapacityLimiter(_READERS)
        self._closed = False
        self._writes = 0
        self._reads = 0
        self._failures = 0

    def __repr__(self) -> str:
        return f"<Database {self.path!r}{' closed' if self._closed else ''}>"

    async def write(self, fn: Callable[[sqlite3.Connection, *Ts], T], *args: *Ts) -> T:
        """Run ``fn(conn, *args)`` on the writer thread inside one transaction.

        The transaction is ``BEGIN IMMEDIATE`` … ``COMMIT``; any exception from ``fn``
        rolls it back and is re-raised here. ``fn`` must not commit or roll back itself.

        Raises:
            StorageError: SQLite failed (the original error is chained), the database is
                closed, or the write did not finish within the timeout (it may still
                commit, atomically, after this is raised).
        """
        job = self._submit(fn, args, transactional=True)
        return await self._wait(job, "write")

    async def read(self, fn: Callable[[sqlite3.Connection, *Ts], T], *args: *Ts) -> T:
        """Run ``fn(conn, *args)`` on a read-only connection in a worker thread.

        Reads see every committed write and are not blocked by an open write transaction.
        ``fn`` runs in autocommit mode; a read that must see one consistent snapshot
        across several statements may wrap them in ``BEGIN`` … ``COMMIT`` itself.

        Raises:
            StorageError: SQLite failed, the database is closed, or the read did not
                finish within the timeout (its query is then aborted).
        """
        self._check_open("read")
        slot = _ReadSlot()
        try:
            with trio.fail_after(self._timeout):
                value = await trio.to_thread.run_sync(
                    self._run_read,
                    slot,
                    fn,
                    args,
                    limiter=self._read_limiter,
                    abandon_on_cancel=True,
                )
        except trio.TooSlowError:
            self._failures += 1
            raise StorageError(f"a database read did not finish within {self._timeout:g} s") from None
        except StorageError:
            self._failures += 1
            raise
        finally:
            slot.cancel()
        self._reads += 1
        return value

    async def ping(self) -> None:
        """Prove both the writer thread and a reader answer ``SELECT 1`` (for ``/readyz``).

        Raises:
            StorageError: either did not answer within the timeout, or SQLite failed.
        """
        await self._wait(self._submit(_select_one, (), transactional=False), "ping")
        await self.read(_select_one)

    async def checkpoint(self) -> None:
        """Copy the WAL into the main file and truncate the WAL to zero bytes.

        Called after deleting secrets, so the freed (zeroed) pages replace the old ones in
        the main file and no copy of the deleted rows stays behind in the WAL.

        Raises:
            StorageError: a reader kept the checkpoint from completing, or SQLite failed.
        """
        job = self._submit(_truncate_wal, (), transactional=False)
        await self._wait(job, "checkpoint")

    def statistics(self) -> DatabaseStatistics:
        """Return a snapshot of the work done so far."""
        return DatabaseStatistics(
            writes=self._writes,
            reads=self._reads,
            failures=self._failures,
            queue_length=self._jobs.qsize(),
        )

    # --- Trio side -------------------------------------------------------------------

    def _check_open(self, what: str) -> None:
        if self._closed or self._writer is None:
            raise StorageError(f"the database is closed; cannot {what}")

    def _submit(self, fn: Callable[..., T], args: tuple[object, ...], *, transactional: bool) -> _Job[T]:
        self._check_open("write" if transactional else "run a database job")
        job = _Job(fn, args, transactional=transactional)
        self._jobs.put_nowait(job)
        return job

    async def _wait(self, job: _Job[T], what: str) -> T:
        try:
            with trio.fail_after(self._timeout):
                await job.done.wait()
        except trio.TooSlowError:
            self._failures += 1
            raise StorageError(f"the database {what} did not finish within {self._timeout:g} s") from None
        finally:
            if not job.done.is_set():
                job.abandon()
        assert job.result is not None  # done is set only after result
        return job.result.unwrap()

    def _finish(self, job: _Job[T], result: outcome.Outcome[T]) -> None:
        job.result = result
        if isinstance(result, outcome.Error):
            self._failures += 1
        elif job.transactional:
            self._writes += 1
        job.done.set()

    async def _start(self) -> None:
        with trio.fail_after(self._timeout):
            await trio.to_thread.run_sync(_create_private, self.path)
            self._write_conn = await trio.to_thread.run_sync(self._connect, True)
            for _ in range(_READERS):
                reader = await trio.to_thread.run_sync(self._connect, False)
                self._idle_readers.put_nowait(reader)
        self._writer = threading.Thread(
            target=self._writer_main,
            args=(self._write_conn,),
            name=f"mctltg-sqlite-writer:{os.path.basename(self.path)}",
            daemon=True,
        )
        self._writer.start()
        applied = await self._wait(self._submit(apply_migrations, (), transactional=False), "migration")
        if applied:
            logger.info("database %s: applied migrations %s", self.path, list(applied))

    async def _close(self) -> None:
        """Stop the writer after the jobs already queued, then close every connection."""
        if self._closed:
            return
        self._closed = True
        with trio.CancelScope(shield=True):
            writer = self._writer
            if writer is not None:
                self._jobs.put_nowait(None)
                with trio.move_on_after(self._timeout):
                    await trio.to_thread.run_sync(writer.join, abandon_on_cancel=True)
                if writer.is_alive():
                    logger.warning(
                        "database %s: the writer thread did not stop within %g s",
                        self.path,
                        self._timeout,
                    )
            elif self._write_conn is not None:
                self._write_conn.close()
            # Every reader thread, abandoned ones included, holds a limiter token until it
            # has handed its connection back; taking all tokens waits for them.
            borrowers: list[object] = []
            with trio.move_on_after(self._timeout):
                for _ in range(_READERS):
                    borrower = object()
                    await self._read_limiter.acquire_on_behalf_of(borrower)
                    borrowers.append(borrower)
            while True:
                try:
                    self._idle_readers.get_nowait().close()
                except queue.Empty:
                    break
            for borrower in borrowers:
                self._read_limiter.release_on_behalf_of(borrower)

    # --- worker threads ----------------------------------------------------------------

    def _connect(self, writer: bool) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._url,
                uri=self._uri,
                isolation_level=None,  # we issue BEGIN / COMMIT ourselves
                check_same_thread=False,  # opened here, used by the writer or pool threads
                timeout=_BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database at {self.path}: {exc}") from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            if writer:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StorageError(
                        f"the database at {self.path} cannot use write-ahead logging "
                        f"(journal mode stays {mode!r}); use a file on a local disk"
                    )
                conn.execute("PRAGMA synchronous = NORMAL")
            else:
                conn.execute("PRAGMA query_only = ON")
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StorageError(f"cannot set up the database at {self.path}: {exc}") from exc
            raise
        return conn

    def _writer_main(self, conn: sqlite3.Connection) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                if not job.claim():
                    continue
                result = outcome.capture(_execute, conn, job)
                # RunFinishedError: Trio is gone, so nobody is waiting any more.
                with contextlib.suppress(trio.RunFinishedError):
                    self._token.run_sync_soon(self._finish, job, result)
        finally:
            conn.close()

    def _run_read(self, slot: _ReadSlot, fn: Callable[[sqlite3.Connection, *Ts], T], args: tuple[*Ts]) -> T:
        # The limiter admits at most _READERS threads, so a connection is always idle here.
        conn = self._idle_readers.get_nowait()
        try:
            if slot.cancelled:
                raise StorageError("the database read was abandoned before it started")
            conn.set_progress_handler(slot.should_abort, _PROGRESS_STEPS)
            try:
                return fn(conn, *args)
            except sqlite3.Error as exc:
                raise StorageError(f"database read {_describe(fn)} failed: {_reason(exc)}") from exc
            finally:
                conn.set_progress_handler(None, 0)
                if conn.in_transaction:
                    conn.rollback()
        finally:
            self._idle_readers.put_nowait(conn)


# ASYNC109: ``timeout`` bounds each later read and write, not the call; it is configuration.
@contextlib.asynccontextmanager
async def open_database(url: str, *, timeout: float = 10.0) -> AsyncIterator[Database]:  # noqa: ASYNC109
    """Open the database, apply pending migrations, and close it on exit.

    Entering blocks until the connections are open and the schema is current; exiting
    blocks (shielded, at most about ``3 * timeout``) until queued writes have finished,
    the writer thread has stopped and every connection is closed.

    Args:
        url: a filesystem path, or a ``file:`` URI (``file:/var/lib/mctltg/db.sqlite``).
            In-memory databases are refused: WAL and the separate reader connections
            need a real file.
        timeout: seconds any one read or write may take, queueing included.

    Raises:
        StorageError: the database cannot be opened, cannot use WAL, was written by a
            newer mctltg, or a migration failed.
        ValueError: ``timeout`` is not positive.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds (got {timeout!r})")
    uri = url.startswith("file:")
    path = _filesystem_path(url, uri=uri)
    db = Database(url=url, path=path, uri=uri, timeout=timeout)
    try:
        await db._start()
        yield db
    finally:
        await db._close()


def _filesystem_path(url: str, *, uri: bool) -> str:
    path = url
    if uri:
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        in_memory = "memory" in query.get("mode", [])
        path = ":memory:" if in_memory else urllib.parse.unquote(parts.path)
    if path in ("", ":memory:"):
        raise StorageError(
            "the database must be a file (an in-memory database cannot use write-ahead "
            "logging or be shared between connections)"
        )
    return path


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only (SQLite's -wal/-shm follow)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StorageError(f"cannot create the database file {path}: {exc.strerror}") from exc
    os.close(fd)


def _execute(conn: sqlite3.Connection, job: _Job[T]) -> T:
    """Writer thread: run one job, in its own transaction unless it manages its own."""
    try:
        if not job.transactional:
            return job.fn(conn, *job.args)
        conn.execute("BEGIN IMMEDIATE")
        try:
            value = job.fn(conn, *job.args)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return value
    except sqlite3.Error as exc:
        raise StorageError(f"database write {_describe(job.fn)} failed: {_reason(exc)}") from exc


def _select_one(conn: sqlite3.Connection) -> None:
    conn.execute("SELECT 1").fetchone()


def _truncate_wal(conn: sqlite3.Connection) -> None:
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise StorageError("the database checkpoint could not finish: a reader kept it busy")


def _describe(fn: Callable[..., object]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _reason(exc: sqlite3.Error) -> str:
    # SQLite's messages name tables, columns and constraints, never bound values.
    code = getattr(exc, "sqlite_errorname", None)
    return f"{exc} ({code})" if code else str(exc)
