"""Who holds tokens for a person: their live grants grouped by client, and revoking one client.

The manage page lists these so a person sees every MCP client that can act as them
(notifications of access without a bot). "Last use" is the newest of: an access token's
first use at /mcp, a refresh, and the grant itself — each access token's first use is
recorded already (``oauth_grants.access_token_live``), so nothing is written per call.

Revoking a client here revokes *this person's* grants to it (each through
``oauth_grants.revoke_grant``, as RFC 7009 revocation does): the refresh families end
and every access token they issued stops verifying at once. Other people's grants to
the same client are untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.storage.oauth_grants import revoke_grant

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["ClientHolding", "TokenHolders"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientHolding:
    """One client holding live grants for a person."""

    client_id: str
    client_name: str | None
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]
    grants: int
    since: float
    last_use: float


class TokenHolders:
    """Reads and revokes a person's grants, per client."""

    def __init__(self, db: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self._clock = clock

    async def clients_of(self, identity_id: int) -> list[ClientHolding]:
        """The clients holding a live grant for ``identity_id``, most recently used first."""
        return await self._db.read(_clients_of, identity_id, self._clock())

    async def revoke_client(self, identity_id: int, client_id: str) -> int:
        """Revoke every live grant of ``identity_id`` to ``client_id``; how many were revoked."""
        return await self._db.write(_revoke_client, identity_id, client_id, self._clock())


# -- SQL, run on the database threads ----------------------------------------------------


def _clients_of(conn: sqlite3.Connection, identity_id: int, now: float) -> list[ClientHolding]:
    rows = conn.execute(
        "SELECT g.client_id, c.client_name, c.redirect_uris, group_concat(g.scope, ' ') AS scopes,"
        " COUNT(*) AS grants, MIN(g.created_at) AS since,"
        " MAX(g.created_at,"
        "  COALESCE((SELECT MAX(a.used_at) FROM oauth_access_tokens a"
        "    JOIN oauth_grants x ON x.id = a.grant_id"
        "    WHERE x.identity_id = g.identity_id AND x.client_id = g.client_id), 0),"
        "  COALESCE((SELECT MAX(r.rotated_at) FROM oauth_refresh_tokens r JOIN oauth_grants y"
        "    ON y.id = r.grant_id WHERE y.identity_id = g.identity_id AND y.client_id = g.client_id), 0)"
        " ) AS last_use"
        " FROM oauth_grants g JOIN oauth_clients c ON c.client_id = g.client_id"
        " WHERE g.identity_id = ? AND g.revoked_at IS NULL AND g.expires_at >= ?"
        " GROUP BY g.client_id ORDER BY last_use DESC",
        (identity_id, now),
    ).fetchall()
    return [
        ClientHolding(
            client_id=str(row["client_id"]),
            client_name=row["client_name"],
            redirect_uris=tuple(json.loads(row["redirect_uris"])),
            scopes=frozenset(str(row["scopes"] or "").split()),
            grants=int(row["grants"]),
            since=float(row["since"]),
            last_use=float(row["last_use"]),
        )
        for row in rows
    ]


def _revoke_client(conn: sqlite3.Connection, identity_id: int, client_id: str, now: float) -> int:
    ids = [
        int(row["id"])
        for row in conn.execute(
            "SELECT id FROM oauth_grants WHERE identity_id = ? AND client_id = ? AND revoked_at IS NULL",
            (identity_id, client_id),
        ).fetchall()
    ]
    for grant_id in ids:
        revoke_grant(conn, grant_id, now)
    return len(ids)
