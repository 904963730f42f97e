"""Each Telegram account's sharing rule, as the text ``telegram.SharingRule`` writes.

The thin I/O half of the sharing rule (the decision is ``telegram/sharing.py``): one row
per account that has a rule, none for the default (every chat shared). The row goes
with its account (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mctltg.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["SharingRules"]


class SharingRules:
    """Reads and writes ``sharing_rules``."""

    def __init__(self, db: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._clock = clock

    async def get(self, account_id: int) -> str | None:
        """The account's rule text, or None for the default."""
        return await self._db.read(_get, account_id)

    async def put(self, account_id: int, rule: str | None) -> None:
        """Store the account's rule text (None: back to the default)."""
        await self._db.write(_put, account_id, rule, self._clock())


def _get(conn: sqlite3.Connection, account_id: int) -> str | None:
    row = conn.execute("SELECT rule FROM sharing_rules WHERE account_id = ?", (account_id,)).fetchone()
    return None if row is None else str(row["rule"])


def _put(conn: sqlite3.Connection, account_id: int, rule: str | None, now: float) -> None:
    if rule is None:
        conn.execute("DELETE FROM sharing_rules WHERE account_id = ?", (account_id,))
        return
    conn.execute(
        "INSERT INTO sharing_rules (account_id, rule, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (account_id) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at",
        (account_id, rule, now),
    )
