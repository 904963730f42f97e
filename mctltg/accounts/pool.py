"""One supervised Trio task per connected Telegram account.

The pool owns a nursery; each account runs in its own cancel scope inside it. The
task connects (bounded), serves calls, writes the sealed session back whenever
Telethon's state changes, reconnects with exponential backoff when the connection
drops, and on the way out saves and disconnects under a shield. It catches every
``Exception`` so one account can never take the nursery (and HTTP) down with it.

Exactly one task ever owns an auth key: ``start`` is a no-op for an account that
already has a task, and a task is registered before its first await, so two
owners of one session cannot exist (two owners get the session killed by
Telegram with AUTH_KEY_DUPLICATED).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import trio

from mctltg.errors import (
    AccountBroken,
    AccountNotReady,
    AccountRevoked,
    NoAccount,
    SealError,
    SessionDead,
    TelegramError,
)
from mctltg.storage import Accounts
from mctltg.telegram import (
    AsyncioBridge,
    ClientFactory,
    SealedSession,
    SharedView,
    SharingRule,
    TelegramAccount,
    TelegramConnection,
)

__all__ = ["AccountPool", "AccountState", "PoolStatistics", "Timeouts", "open_account_pool"]

logger = logging.getLogger(__name__)


class AccountState(enum.Enum):
    """Where one account's connection is; tools, metrics and pages share these words."""

    CONNECTING = "connecting"
    READY = "ready"
    BACKOFF = "reconnecting"
    REVOKED = "revoked"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    connect: float = 20.0
    call: float = 30.0
    ready_wait: float = 10.0
    backoff_initial: float = 0.5
    backoff_max: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolStatistics:
    accounts: int
    ready: int
    by_state: dict[str, int]


@dataclass(slots=True, eq=False)
class _Account:
    account_id: int
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    state: AccountState = AccountState.CONNECTING
    connection: TelegramConnection | None = None
    ready: trio.Event = field(default_factory=trio.Event)
    saved: trio.Event = field(default_factory=trio.Event)
    changed: trio.Event = field(default_factory=trio.Event)
    finished: trio.Event = field(default_factory=trio.Event)
    #: The newest session bytes a call brought back, waiting for the write-back loop.
    unsaved: bytes | None = None
    #: The sharing rule's last folder expansion and when it was made (``TelegramAccount._view``).
    view: tuple[SharedView, float] | None = None


class AccountPool:
    """Starts, serves and stops account tasks; build it with ``open_account_pool``."""

    def __init__(
        self,
        nursery: trio.Nursery,
        *,
        bridge: AsyncioBridge,
        factory: ClientFactory,
        accounts: Accounts,
        timeouts: Timeouts,
    ) -> None:
        self._nursery = nursery
        self._bridge = bridge
        self._factory = factory
        self._accounts = accounts
        self._timeouts = timeouts
        self._running: dict[int, _Account] = {}
        #: Why an account's last task ended for good (revoked or broken), until it is started again:
        #: a call that arrives just after its task ended learns the reason, not "no account".
        self._ended: dict[int, AccountState] = {}
        self.running = True

    # -- lifecycle ----------------------------------------------------------------
    async def start(self, account_id: int) -> None:
        """Start the account's task unless one runs already (never two owners)."""
        if account_id in self._running:
            return
        account = _Account(account_id)
        self._running[account_id] = account  # registered before any await: no second owner
        self._ended.pop(account_id, None)
        await self._nursery.start(self._supervise, account)

    async def stop(self, account_id: int) -> None:
        """Stop the account's task and wait until its session is saved and disconnected."""
        account = self._running.get(account_id)
        if account is None:
            return
        account.scope.cancel()
        await account.finished.wait()

    async def retire(self, account_id: int, *, log_out: bool) -> bool:
        """Stop the account's task for good; True if one was running.

        Unlike ``stop``, the session is not saved on the way out (the caller has already
        erased or deleted it) and calls still waiting on the account fail with
        ``AccountRevoked``. With ``log_out`` the live connection first asks Telegram to end
        the session (bounded by the call deadline, best effort), so the auth key stops
        working everywhere, not only here.
        """
        account = self._running.get(account_id)
        if account is None:
            return False
        account.state = AccountState.REVOKED
        connection = account.connection
        if log_out and connection is not None:
            await connection.log_out()
        account.scope.cancel()
        await account.finished.wait()
        return True

    async def start_all_active(self) -> int:
        """Resume every active account from its sealed session; returns how many."""
        rows = await self._accounts.list_active()
        for row in rows:
            if row.has_session:
                await self.start(row.id)
        return len(rows)

    def state(self, account_id: int) -> AccountState | None:
        account = self._running.get(account_id)
        return None if account is None else account.state

    def statistics(self) -> PoolStatistics:
        by_state: dict[str, int] = {}
        for account in self._running.values():
            by_state[account.state.value] = by_state.get(account.state.value, 0) + 1
        return PoolStatistics(accounts=len(self._running), ready=by_state.get("ready", 0), by_state=by_state)

    # -- calls --------------------------------------------------------------------
    def account(self, account_id: int, *, sharing: SharingRule) -> TelegramAccount:
        """The account's Telegram use cases under ``sharing``; each call waits briefly for its connection.

        Raises:
            NoAccount: the account has no running task.
            AccountBroken: its last task ended because the sealed session does not open.
            AccountRevoked: its last task ended because the session is dead or was retired.
        """
        account = self._running.get(account_id)
        if account is None:
            ended = self._ended.get(account_id)
            if ended is AccountState.FAILED:
                raise AccountBroken()
            if ended is AccountState.REVOKED:
                raise AccountRevoked()
            raise NoAccount()
        return TelegramAccount(_Lease(self, account), sharing=sharing)

    def forget_view(self, account_id: int) -> None:
        """Drop the account's folder expansion (its sharing rule changed)."""
        account = self._running.get(account_id)
        if account is not None:
            account.view = None

    async def _wait_ready(self, account: _Account) -> TelegramConnection:
        if account.state is AccountState.FAILED:
            raise AccountBroken()
        if account.state in (AccountState.REVOKED, AccountState.STOPPED):
            raise AccountRevoked()
        with trio.move_on_after(self._timeouts.ready_wait):
            await account.ready.wait()
        state = self._current_state(account)  # re-read: it changed while we waited
        if state is AccountState.FAILED:
            raise AccountBroken()
        if state is AccountState.REVOKED:
            raise AccountRevoked()
        if account.connection is None or state is not AccountState.READY:
            raise AccountNotReady(state.value)
        return account.connection

    @staticmethod
    def _current_state(account: _Account) -> AccountState:
        return account.state

    async def _revoke(self, account: _Account) -> None:
        account.state = AccountState.REVOKED
        account.scope.cancel()
        try:
            with trio.CancelScope(shield=True):
                await self._accounts.revoke(account.account_id)
        except Exception:
            logger.exception("account %d: could not mark the account revoked", account.account_id)
        logger.warning("account %d: Telegram ended the session; account revoked", account.account_id)

    # -- the supervised task ------------------------------------------------------
    async def _supervise(self, account: _Account, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        backoff = self._timeouts.backoff_initial
        try:
            with account.scope:
                task_status.started()
                while True:
                    try:
                        await self._connect_and_serve(account)
                        backoff = self._timeouts.backoff_initial
                        logger.info("account %d: connection dropped; reconnecting", account.account_id)
                    except SessionDead:
                        await self._revoke(account)
                        return
                    except SealError:
                        # Marked broken in storage by the failed load; callers waiting for
                        # the connection are woken to hear the same (AccountBroken).
                        account.state = AccountState.FAILED
                        account.ready.set()
                        logger.error(
                            "account %d: its sealed session does not open; it is marked broken until "
                            "reconnected (was ENCRYPTION_KEY changed, or the row edited?)",
                            account.account_id,
                        )
                        return
                    except (TelegramError, OSError) as exc:
                        logger.warning("account %d: %s; retrying in %.1f s", account.account_id, exc, backoff)
                    except Exception:
                        logger.exception(
                            "account %d: unexpected failure; retrying in %.1f s", account.account_id, backoff
                        )
                    if account.state is AccountState.REVOKED:
                        return  # retired while connecting or serving: never reconnect
                    account.state = AccountState.BACKOFF
                    await trio.sleep(backoff)
                    backoff = min(backoff * 2, self._timeouts.backoff_max)
        finally:
            if account.state not in (AccountState.REVOKED, AccountState.FAILED):
                account.state = AccountState.STOPPED
            else:
                self._ended[account.account_id] = account.state
            self._running.pop(account.account_id, None)
            account.finished.set()

    async def _connect_and_serve(self, account: _Account) -> None:
        account.state = AccountState.CONNECTING
        blob = await self._accounts.load_session(account.account_id)
        if blob is None:
            raise SessionDead("NO_SESSION")
        connection = TelegramConnection(
            self._bridge, self._factory, SealedSession.from_bytes(blob), call_timeout=self._timeouts.call
        )
        try:
            if not await connection.connect(timeout=self._timeouts.connect):
                raise SessionDead("AUTH_KEY_UNREGISTERED")
            account.connection = connection
            account.state = AccountState.READY
            account.ready.set()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._write_back_loop, account, connection)
                await connection.wait_disconnected()
                nursery.cancel_scope.cancel()
        finally:
            account.connection = None
            if account.ready.is_set():
                account.ready = trio.Event()
            with trio.CancelScope(shield=True):
                if account.state is not AccountState.REVOKED:
                    await self._save(account, connection)
                await connection.disconnect()

    async def _write_back_loop(self, account: _Account, connection: TelegramConnection) -> None:
        while True:
            await account.changed.wait()
            account.changed = trio.Event()
            data, account.unsaved = account.unsaved, None
            if data is not None:
                await self._store(account, data)
            else:
                await self._save(account, connection, only_if_dirty=True)

    async def _store(self, account: _Account, data: bytes) -> None:
        try:
            with trio.move_on_after(5):
                await self._accounts.save_session(account.account_id, data)
        except Exception:
            logger.warning("account %d: could not write the session back", account.account_id, exc_info=True)

    async def _save(
        self, account: _Account, connection: TelegramConnection, *, only_if_dirty: bool = False
    ) -> None:
        try:
            with trio.move_on_after(5):
                data = await (connection.snapshot_if_dirty() if only_if_dirty else connection.snapshot())
                if data is not None:
                    await self._accounts.save_session(account.account_id, data)
        except Exception:
            logger.warning("account %d: could not write the session back", account.account_id, exc_info=True)


class _Lease:
    """The pool's side of one account's calls (``telegram.AccountLease``)."""

    __slots__ = ("_account", "_pool")

    def __init__(self, pool: AccountPool, account: _Account) -> None:
        self._pool = pool
        self._account = account

    async def ready_connection(self) -> TelegramConnection:
        return await self._pool._wait_ready(self._account)

    async def session_ended(self) -> None:
        await self._pool._revoke(self._account)

    def retired(self) -> bool:
        return self._account.state is AccountState.REVOKED

    def session_changed(self, data: bytes) -> None:
        self._account.unsaved = data
        self._account.changed.set()

    def remembered_view(self) -> tuple[SharedView, float] | None:
        return self._account.view

    def remember_view(self, view: SharedView, at: float) -> None:
        self._account.view = (view, at)


@asynccontextmanager
async def open_account_pool(
    *, bridge: AsyncioBridge, factory: ClientFactory, accounts: Accounts, timeouts: Timeouts
) -> AsyncIterator[AccountPool]:
    """A pool whose tasks live in a nursery that closes with the block.

    Entering does not block. Exiting cancels every account task and waits for each
    to save its session and disconnect (bounded inside each task).
    """
    async with trio.open_nursery() as nursery:
        pool = AccountPool(nursery, bridge=bridge, factory=factory, accounts=accounts, timeouts=timeouts)
        try:
            yield pool
        finally:
            pool.running = False
            nursery.cancel_scope.cancel()
