"""OAuth persistence, part 1: registered clients (RFC 7591 public clients).

A client row is what dynamic registration stored: its id, a display name, the exact
redirect URIs it may use, and the grant types and scope it asked for. Nothing secret
lives here (every client is public; PKCE protects its codes).

Registration is open to anyone, so clients do not accumulate: each registration first
deletes clients that never completed an authorization within ``UNUSED_CLIENT_TTL``
(a day) and clients unused for ``IDLE_CLIENT_TTL`` (90 days) that hold no live grant.
A client is "used" when a code it obtained is redeemed or it refreshes a token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.clock import Clock

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["IDLE_CLIENT_TTL", "UNUSED_CLIENT_TTL", "ClientRow", "ClientStore"]

UNUSED_CLIENT_TTL: Final = 86_400.0
IDLE_CLIENT_TTL: Final = 90 * 86_400.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientRow:
    client_id: str
    client_name: str | None
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scope: str | None
    created_at: float


def _dumps(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


class ClientStore:
    """Reads and writes ``oauth_clients`` (a part of :class:`~mctltg.storage.OAuthStore`)."""

    _db: Database
    clock: Clock

    async def add_client(
        self,
        *,
        client_id: str,
        client_name: str | None,
        redirect_uris: tuple[str, ...],
        grant_types: tuple[str, ...],
        scope: str | None,
    ) -> ClientRow:
        """Register a new client (RFC 7591 dynamic registration)."""
        row = self._row(client_id, client_name, redirect_uris, grant_types, scope)
        await self._db.write(_insert_client, row)
        return row

    async def put_client(
        self,
        *,
        client_id: str,
        client_name: str | None,
        redirect_uris: tuple[str, ...],
        grant_types: tuple[str, ...],
        scope: str | None,
    ) -> ClientRow:
        """Add or refresh a client whose metadata lives elsewhere (a CIMD URL), keeping its grants."""
        row = self._row(client_id, client_name, redirect_uris, grant_types, scope)
        await self._db.write(_upsert_client, row)
        return row

    def _row(
        self,
        client_id: str,
        client_name: str | None,
        redirect_uris: tuple[str, ...],
        grant_types: tuple[str, ...],
        scope: str | None,
    ) -> ClientRow:
        return ClientRow(
            client_id=client_id,
            client_name=client_name,
            redirect_uris=redirect_uris,
            grant_types=grant_types,
            scope=scope,
            created_at=self.clock(),
        )

    async def client(self, client_id: str) -> ClientRow | None:
        return await self._db.read(_select_client, client_id)

    async def client_used(self, client_id: str) -> None:
        """Record that ``client_id`` completed an authorization or refreshed just now."""
        await self._db.write(mark_client_used, client_id, self.clock())

    async def unused_clients(self) -> int:
        """How many registered clients have never completed an authorization."""
        return await self._db.read(_count_unused)


# -- SQL, run on the database threads ----------------------------------------------------


def mark_client_used(conn: sqlite3.Connection, client_id: str, now: float) -> None:
    conn.execute("UPDATE oauth_clients SET last_used_at = ? WHERE client_id = ?", (now, client_id))


def _count_unused(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM oauth_clients WHERE last_used_at IS NULL").fetchone()[0])


def _insert_client(conn: sqlite3.Connection, row: ClientRow) -> None:
    now = row.created_at
    conn.execute(
        "DELETE FROM oauth_clients WHERE last_used_at IS NULL AND created_at < ?",
        (now - UNUSED_CLIENT_TTL,),
    )
    conn.execute(
        "DELETE FROM oauth_clients WHERE last_used_at < ? AND NOT EXISTS (SELECT 1 FROM oauth_grants g"
        " WHERE g.client_id = oauth_clients.client_id AND g.revoked_at IS NULL AND g.expires_at >= ?)",
        (now - IDLE_CLIENT_TTL, now),
    )
    conn.execute(
        "INSERT INTO oauth_clients (client_id, client_name, redirect_uris, grant_types, scope, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            row.client_id,
            row.client_name,
            _dumps(row.redirect_uris),
            _dumps(row.grant_types),
            row.scope,
            row.created_at,
        ),
    )


def _upsert_client(conn: sqlite3.Connection, row: ClientRow) -> None:
    conn.execute(
        "INSERT INTO oauth_clients (client_id, client_name, redirect_uris, grant_types, scope, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(client_id) DO UPDATE SET client_name = excluded.client_name,"
        " redirect_uris = excluded.redirect_uris, grant_types = excluded.grant_types, scope = excluded.scope",
        (
            row.client_id,
            row.client_name,
            _dumps(row.redirect_uris),
            _dumps(row.grant_types),
            row.scope,
            row.created_at,
        ),
    )


def _select_client(conn: sqlite3.Connection, client_id: str) -> ClientRow | None:
    row = conn.execute(
        "SELECT client_id, client_name, redirect_uris, grant_types, scope, created_at FROM oauth_clients"
        " WHERE client_id = ?",
        (client_id,),
    ).fetchone()
    if row is None:
        return None
    return ClientRow(
        client_id=row["client_id"],
        client_name=row["client_name"],
        redirect_uris=tuple(json.loads(row["redirect_uris"])),
        grant_types=tuple(json.loads(row["grant_types"])),
        scope=row["scope"],
        created_at=float(row["created_at"]),
    )
