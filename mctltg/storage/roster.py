"""The roster: every identity with its Telegram accounts, for the operator's admin tools.

One query per page, keyed by identity id (a cursor that stays valid while identities are
added), with each identity's stored access decision (the tier is computed above, from
the settings too) and its last use: the newest of its accounts' ``last_used_at`` and
its newest audit row. Nothing secret is read: no session, no token, no message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["Roster", "RosterAccount", "RosterIdentity"]

_ACCOUNT_COLUMNS: Final = (
    "id, identity_id, status, telegram_user_id, username, display_name, send_enabled, last_used_at,"
    " broken_at IS NOT NULL AS broken"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterAccount:
    id: int
    identity_id: int
    status: str
    telegram_user_id: int | None
    username: str | None
    display_name: str
    send_enabled: bool
    last_used_at: float | None
    broken: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterIdentity:
    id: int
    subject: str
    display_name: str
    telegram_user_id: int | None
    #: The admin's stored decision (``set_telegram_access``), if any.
    granted_tier: str | None
    granted_scopes: frozenset[str] | None
    #: The newest of its accounts' use and its newest audit row (None: never used).
    last_use: float | None
    accounts: tuple[RosterAccount, ...]


class Roster:
    """Reads identities and their accounts for the admin tools."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(self, *, query: str | None, after: int | None, limit: int) -> list[RosterIdentity]:
        """Identities with id above ``after``, in id order, matching ``query`` if given.

        ``query`` matches a subject, display name or Telegram @username/name containing it
        (case-insensitive), or a Telegram user id equal to it.
        """
        return await self._db.read(_page, query, after or 0, limit)

    async def identity(self, identity_id: int) -> RosterIdentity | None:
        found = await self._db.read(_page, None, identity_id - 1, 1)
        return found[0] if found and found[0].id == identity_id else None


# -- SQL, run on the database threads ----------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page(conn: sqlite3.Connection, query: str | None, after: int, limit: int) -> list[RosterIdentity]:
    where, args = "i.id > ?", list[object]([after])
    if query:
        pattern = _like(query)
        exact = int(query) if query.isdigit() and len(query) < 19 else None
        where += (
            " AND (i.subject LIKE ? ESCAPE '\\' OR i.display_name LIKE ? ESCAPE '\\'"
            " OR i.telegram_user_id = ?"
            " OR EXISTS (SELECT 1 FROM telegram_accounts a WHERE a.identity_id = i.id AND"
            " (a.username LIKE ? ESCAPE '\\' OR a.display_name LIKE ? ESCAPE '\\'"
            " OR a.telegram_user_id = ?)))"
        )
        args += [pattern, pattern, exact, pattern, pattern, exact]
    rows = conn.execute(
        "SELECT i.id, i.subject, i.display_name, i.telegram_user_id, d.tier, d.scopes,"
        " (SELECT l.ts_ms FROM audit_log l WHERE l.identity_id = i.id ORDER BY l.id DESC LIMIT 1) AS audited"
        f" FROM identities i LEFT JOIN telegram_access d ON d.identity_id = i.id WHERE {where}"
        " ORDER BY i.id LIMIT ?",
        (*args, limit),
    ).fetchall()
    ids = [int(row["id"]) for row in rows]
    accounts: dict[int, list[RosterAccount]] = {identity_id: [] for identity_id in ids}
    if ids:
        marks = ",".join("?" * len(ids))
        for row in conn.execute(
            f"SELECT {_ACCOUNT_COLUMNS} FROM telegram_accounts WHERE identity_id IN ({marks}) ORDER BY id",
            ids,
        ).fetchall():
            accounts[int(row["identity_id"])].append(_account(row))
    out = []
    for row in rows:
        mine = tuple(accounts[int(row["id"])])
        uses = [a.last_used_at for a in mine if a.last_used_at is not None]
        if row["audited"] is not None:
            uses.append(int(row["audited"]) / 1000)
        out.append(
            RosterIdentity(
                id=int(row["id"]),
                subject=str(row["subject"]),
                display_name=str(row["display_name"]),
                telegram_user_id=None if row["telegram_user_id"] is None else int(row["telegram_user_id"]),
                granted_tier=row["tier"],
                granted_scopes=None if row["scopes"] is None else frozenset(str(row["scopes"]).split()),
                last_use=max(uses) if uses else None,
                accounts=mine,
            )
        )
    return out


def _account(row: sqlite3.Row) -> RosterAccount:
    return RosterAccount(
        id=int(row["id"]),
        identity_id=int(row["identity_id"]),
        status=str(row["status"]),
        telegram_user_id=None if row["telegram_user_id"] is None else int(row["telegram_user_id"]),
        username=row["username"],
        display_name=str(row["display_name"]),
        send_enabled=bool(row["send_enabled"]),
        last_used_at=None if row["last_used_at"] is None else float(row["last_used_at"]),
        broken=bool(row["broken"]),
    )
