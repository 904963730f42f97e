"""Who is calling, and which Telegram account serves them.

The tools layer asks the directory two things: the identity for a signed-in
subject, and that identity's usable account. Account state lives in the database
(status) and in the pool (connection); the directory reconciles the two so a
revoked account is refused the same way whichever side noticed first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

import trio

from mctltg.accounts.pool import AccountPool, AccountState
from mctltg.errors import AccountBroken, AccountRevoked, NoAccount, StorageError
from mctltg.storage import AccountRow, Accounts, Identities, IdentityRow

__all__ = ["AccountDirectory"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: Seconds between two ``last_used_at`` writes for one account (idle expiry is counted in days).
TOUCH_EVERY: Final = 60.0


class AccountDirectory:
    """Maps identities to accounts and runs Telegram operations for them."""

    def __init__(self, *, identities: Identities, accounts: Accounts, pool: AccountPool) -> None:
        self.identities = identities
        self.accounts = accounts
        self.pool = pool
        self._touched: dict[int, float] = {}

    async def identity(self, subject: str, *, display_name: str = "") -> IdentityRow:
        """The identity for a signed-in subject, created on first sight."""
        return await self.identities.ensure(subject, display_name=display_name)

    async def account_of(self, identity_id: int) -> AccountRow:
        """The identity's active account.

        Raises:
            NoAccount: the identity never connected Telegram (or deleted it).
            AccountRevoked: it was disconnected, or Telegram ended the session.
            AccountBroken: its stored session does not open (until it is reconnected).
        """
        row = await self.accounts.for_identity(identity_id)
        if row is None or row.status == "pending":
            raise NoAccount()
        if row.broken:
            raise AccountBroken()
        if row.status == "revoked" or self.pool.state(row.id) is AccountState.REVOKED:
            raise AccountRevoked()
        if self.pool.state(row.id) is None:
            await self.pool.start(row.id)  # resumed lazily, e.g. after a pool restart
        return row

    async def call(
        self,
        identity_id: int,
        operation: str,
        fn: Callable[Concatenate[Any, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a Telegram operation as the identity's account (see ``AccountPool.call``)."""
        row = await self.account_of(identity_id)
        await self._note_use(row.id)
        return await self.pool.call(row.id, operation, fn, *args, **kwargs)

    async def _note_use(self, account_id: int) -> None:
        """Record use for idle expiry, at most once a minute per account (a write per call is waste)."""
        now = trio.current_time()
        if now - self._touched.get(account_id, -TOUCH_EVERY) < TOUCH_EVERY:
            return
        self._touched[account_id] = now
        try:
            await self.accounts.touch(account_id)
        except StorageError:
            # Idle-expiry bookkeeping must never fail the call it rides on; retry next minute.
            self._touched.pop(account_id, None)
            logger.warning("account %d: could not record use; idle expiry may lag", account_id)
