"""The account layer: per-identity Telegram access, supervision and policy."""

from mctltg.accounts.directory import AccountDirectory
from mctltg.accounts.pool import AccountPool, AccountState, PoolStatistics, Timeouts, open_account_pool

__all__ = [
    "AccountDirectory",
    "AccountPool",
    "AccountState",
    "PoolStatistics",
    "Timeouts",
    "open_account_pool",
]
