"""OAuth persistence, part 1: registered clients (RFC 7591 public clients).

A client row is what dynamic registration stored: its id, a display name, the exact
redirect URIs it may use, and the grant types and scope it asked for. Nothing secret
lives here (every client is public; PKCE protects its codes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from mctltg.storage.database import Database

__all__ = ["ClientRow", "ClientStore"]


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
    clock: Callable[[], float]

    async def add_client(
        self,
        *,
        client_id: str,
        client_name: str | None,
        redirect_uris: tuple[str, ...],
        grant_types: tuple[str, ...],
        scope: str | None,
    ) -> ClientRow:
        row = ClientRow(
            client_id=client_id,
            client_name=client_name,
            redirect_uris=redirect_uris,
            grant_types=grant_types,
            scope=scope,
            created_at=self.clock(),
        )
        await self._db.write(_insert_client, row)
        return row

    async def client(self, client_id: str) -> ClientRow | None:
        return await self._db.read(_select_client, client_id)


# -- SQL, run on the database threads ----------------------------------------------------


def _insert_client(conn: sqlite3.Connection, row: ClientRow) -> None:
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
