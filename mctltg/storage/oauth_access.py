"""OAuth persistence, part 4: admins' access decisions (the stored side of access tiers).

``set_telegram_access`` records either a tier or an explicit scope set for an
identity; :mod:`mctltg.oauth.tiers` combines it with the settings' lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mctltg.clock import Clock

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["AccessDecision", "AccessStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessDecision:
    """An admin's stored decision about an identity (``set_telegram_access``)."""

    identity_id: int
    tier: str | None
    scopes: frozenset[str] | None
    updated_at: float


class AccessStore:
    """Reads and writes ``telegram_access`` (a part of :class:`~mctltg.storage.OAuthStore`)."""

    _db: Database
    clock: Clock

    async def set_access(
        self, identity_id: int, *, tier: str | None, scopes: frozenset[str] | None, set_by: int | None
    ) -> AccessDecision:
        if (tier is None) == (scopes is None):
            raise ValueError("give exactly one of tier and scopes")
        return await self._db.write(_set_access, identity_id, tier, scopes, set_by, self.clock())

    async def access(self, identity_id: int) -> AccessDecision | None:
        return await self._db.read(_select_access, identity_id)


# -- SQL, run on the database threads ----------------------------------------------------


def _set_access(
    conn: sqlite3.Connection,
    identity_id: int,
    tier: str | None,
    scopes: frozenset[str] | None,
    set_by: int | None,
    now: float,
) -> AccessDecision:
    stored_scopes = None if scopes is None else " ".join(sorted(scopes))
    conn.execute(
        "INSERT INTO telegram_access (identity_id, tier, scopes, set_by, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (identity_id) DO UPDATE SET tier = excluded.tier, scopes = excluded.scopes,"
        " set_by = excluded.set_by, updated_at = excluded.updated_at",
        (identity_id, tier, stored_scopes, set_by, now),
    )
    return AccessDecision(identity_id=identity_id, tier=tier, scopes=scopes, updated_at=now)


def _select_access(conn: sqlite3.Connection, identity_id: int) -> AccessDecision | None:
    row = conn.execute(
        "SELECT identity_id, tier, scopes, updated_at FROM telegram_access WHERE identity_id = ?",
        (identity_id,),
    ).fetchone()
    if row is None:
        return None
    scopes = None if row["scopes"] is None else frozenset(str(row["scopes"]).split())
    return AccessDecision(
        identity_id=int(row["identity_id"]),
        tier=row["tier"],
        scopes=scopes,
        updated_at=float(row["updated_at"]),
    )
