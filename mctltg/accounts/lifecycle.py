"""Session lifetime: idle and absolute expiry of connected Telegram accounts.

A session that nobody used for ``idle`` seconds, or that was connected more than
``absolute`` seconds ago, is ended: the account is revoked exactly as a disconnect
does (session erased first, then the live task logs out at Telegram and stops), and
the next tool call tells its owner to reconnect. Use is recorded by the directory
(``last_used_at``, at most once a minute); a never-used account counts from when it
was connected.

``open_session_lifecycle`` sweeps once when entered (so an account that expired
while the server was down is never resumed) and then every ``every`` seconds.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final

import trio

from mctltg.accounts.directory import AccountDirectory
from mctltg.accounts.manage import expire_account
from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.storage import AccountRow

__all__ = ["ExpiryPolicy", "SessionLifecycle", "open_session_lifecycle"]

logger = logging.getLogger(__name__)

#: Seconds between sweeps; expiry is counted in days, so a minute of slack is nothing.
SWEEP_EVERY: Final = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiryPolicy:
    """Lifetimes in seconds; ``None`` means that kind of expiry is off."""

    idle: float | None
    absolute: float | None
    every: float = SWEEP_EVERY

    def why_expired(self, row: AccountRow, now: float) -> str | None:
        """``"idle"`` or ``"absolute"`` when the account's session has outlived the policy."""
        if self.absolute is not None and now - row.created_at >= self.absolute:
            return "absolute"
        last_use = row.last_used_at if row.last_used_at is not None else row.created_at
        if self.idle is not None and now - last_use >= self.idle:
            return "idle"
        return None


class SessionLifecycle:
    """Expires accounts by policy; ``sweep`` is one pass, ``run`` repeats it."""

    def __init__(
        self, directory: AccountDirectory, policy: ExpiryPolicy, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._directory = directory
        self._policy = policy
        self._clock = clock
        self.expired_total = 0

    async def sweep(self) -> list[int]:
        """Expire every active account past its lifetime; returns their ids."""
        if self._policy.idle is None and self._policy.absolute is None:
            return []
        now = self._clock()
        expired: list[int] = []
        for row in await self._directory.accounts.list_active():
            why = self._policy.why_expired(row, now)
            if why is None:
                continue
            try:
                await expire_account(self._directory, row.id, why=why)
            except Exception:
                logger.exception("account %d: could not expire its session; retrying next sweep", row.id)
                continue
            expired.append(row.id)
        self.expired_total += len(expired)
        return expired

    async def run(self) -> None:
        while True:
            await trio.sleep(self._policy.every)
            await self.sweep()


@asynccontextmanager
async def open_session_lifecycle(
    directory: AccountDirectory, policy: ExpiryPolicy, *, clock: Clock = SYSTEM_CLOCK
) -> AsyncIterator[SessionLifecycle]:
    """Sweep once, then keep sweeping in a nursery that closes with the block."""
    lifecycle = SessionLifecycle(directory, policy, clock=clock)
    await lifecycle.sweep()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lifecycle.run)
        try:
            yield lifecycle
        finally:
            nursery.cancel_scope.cancel()
