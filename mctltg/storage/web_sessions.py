"""When each identity last ended all of its browser sessions.

A browser session is a sealed cookie with nothing stored server-side
(``web/session_cookie.py``), so a copy of the cookie would keep working until it
expires. Signing out, disconnecting and deleting therefore record the moment here,
and a cookie issued at or before it is refused: every browser of that identity,
and every copy of its cookie, is signed out at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["WebSessions"]


class WebSessions:
    """Reads and writes ``web_sessions_ended``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def end_all(self, identity_id: int, *, at: float) -> None:
        """End every browser session of ``identity_id`` issued at or before ``at``."""
        await self._db.write(_end_all, identity_id, at)

    async def ended_at(self, identity_id: int) -> float | None:
        return await self._db.read(_ended_at, identity_id)


def _end_all(conn: sqlite3.Connection, identity_id: int, at: float) -> None:
    conn.execute(
        "INSERT INTO web_sessions_ended (identity_id, ended_at) VALUES (?, ?)"
        " ON CONFLICT (identity_id) DO UPDATE SET ended_at = MAX(ended_at, excluded.ended_at)",
        (identity_id, at),
    )


def _ended_at(conn: sqlite3.Connection, identity_id: int) -> float | None:
    row = conn.execute(
        "SELECT ended_at FROM web_sessions_ended WHERE identity_id = ?", (identity_id,)
    ).fetchone()
    return None if row is None else float(row["ended_at"])
