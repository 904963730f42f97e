"""OAuth persistence, part 2: authorizations in flight and authorization codes.

An authorization request is parked server-side while the person signs in and
consents (the browser holds only an opaque handle); approving it turns it into a
single-use code, and redeeming the code creates a grant (``oauth_grants``). Codes
and browser handles are stored as SHA-256 digests. Redeeming runs as one write
transaction that *returns* an outcome: a replayed code must leave its revocation
behind, which raising would roll back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mctltg.clock import Clock
from mctltg.crypto import constant_time_equal
from mctltg.errors import StorageError
from mctltg.storage.oauth_clients import mark_client_used
from mctltg.storage.oauth_grants import (
    Exchange,
    GrantRow,
    IssueTokens,
    Outcome,
    grant_from_row,
    record_tokens,
    revoke_grant,
    select_grant,
)

if TYPE_CHECKING:
    import sqlite3

    from mctltg.storage.database import Database

__all__ = ["AuthorizationRow", "CodeCheck", "FlowStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationRow:
    """An authorization request in flight (see the ``oauth_authorizations`` table)."""

    id: int
    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    scope: str | None
    resource: str
    upstream_nonce: str
    identity_id: int | None
    stage: str
    granted_scope: str | None
    csrf: str
    resume_path: str | None
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeCheck:
    """What the token request presented, checked against the stored code."""

    client_id: str
    redirect_uri: str | None
    challenge_of_verifier: str | None
    resource: str | None


class FlowStore:
    """Reads and writes ``oauth_authorizations`` and ``oauth_codes`` (a part of ``OAuthStore``)."""

    _db: Database
    clock: Clock

    async def begin_authorization(
        self,
        *,
        browser_hash: str,
        upstream_state_hash: str,
        client_id: str,
        redirect_uri: str,
        state: str | None,
        code_challenge: str,
        scope: str | None,
        resource: str,
        upstream_nonce: str,
        csrf: str,
        lifetime: float,
    ) -> None:
        now = self.clock()
        await self._db.write(
            _insert_authorization,
            (
                browser_hash,
                upstream_state_hash,
                client_id,
                redirect_uri,
                state,
                code_challenge,
                scope,
                resource,
                upstream_nonce,
                csrf,
                now,
                now + lifetime,
            ),
        )

    async def parked_authorizations(self) -> int:
        """How many authorization requests are parked (unexpired, not yet a code)."""
        return await self._db.read(_count_parked, self.clock())

    async def authorization_by_browser(self, browser_hash: str) -> AuthorizationRow | None:
        return await self._db.read(_select_authorization, "browser_hash", browser_hash, self.clock())

    async def authorization_by_upstream_state(self, state_hash: str) -> AuthorizationRow | None:
        return await self._db.read(_select_authorization, "upstream_state_hash", state_hash, self.clock())

    async def signed_in(self, authorization_id: int, identity_id: int) -> None:
        await self._db.write(
            _update_authorization,
            authorization_id,
            "signin",
            {"identity_id": identity_id, "stage": "consent"},
        )

    async def approved(self, authorization_id: int, granted_scope: str, resume_path: str | None) -> None:
        await self._db.write(
            _update_authorization,
            authorization_id,
            "consent",
            dict[str, object](granted_scope=granted_scope, stage="approved", resume_path=resume_path),
        )

    async def drop_authorization(self, authorization_id: int) -> None:
        await self._db.write(_delete_authorization, authorization_id)

    async def issue_code(self, authorization_id: int, *, code_hash: str, lifetime: float) -> AuthorizationRow:
        """Turn an approved authorization into a code (once); the authorization row goes away.

        Raises:
            StorageError: the authorization is gone, expired or not approved.
        """
        return await self._db.write(_issue_code, authorization_id, code_hash, self.clock(), lifetime)

    # -- codes ----------------------------------------------------------------------

    async def code_identity(self, code_hash: str) -> GrantRow | None:
        """The identity behind an unredeemed code, as a grant-shaped preview (id 0)."""
        return await self._db.read(_preview_code, code_hash)

    async def redeem_code(
        self, code_hash: str, check: CodeCheck, issue: IssueTokens, *, grant_lifetime: float
    ) -> Exchange:
        return await self._db.write(_redeem_code, code_hash, check, issue, self.clock(), grant_lifetime)


# -- SQL, run on the database threads ----------------------------------------------------


def _insert_authorization(conn: sqlite3.Connection, values: tuple[object, ...]) -> None:
    now = values[-2]
    # Housekeeping: authorizations and codes nobody finished, and access-token rows past expiry.
    conn.execute("DELETE FROM oauth_authorizations WHERE expires_at < ?", (now,))
    conn.execute("DELETE FROM oauth_codes WHERE expires_at < ?", (now,))
    conn.execute("DELETE FROM oauth_access_tokens WHERE expires_at < ?", (now,))
    conn.execute(
        "INSERT INTO oauth_authorizations (browser_hash, upstream_state_hash, client_id, redirect_uri, state,"
        " code_challenge, scope, resource, upstream_verifier, upstream_nonce, csrf, stage, created_at,"
        " expires_at)"
        # upstream_verifier stays empty: the verifier is derived from the state, never stored.
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, 'signin', ?, ?)",
        values,
    )


def _count_parked(conn: sqlite3.Connection, now: float) -> int:
    row = conn.execute("SELECT COUNT(*) FROM oauth_authorizations WHERE expires_at >= ?", (now,)).fetchone()
    return int(row[0])


def _authorization_from_row(row: sqlite3.Row) -> AuthorizationRow:
    return AuthorizationRow(
        id=int(row["id"]),
        client_id=row["client_id"],
        redirect_uri=row["redirect_uri"],
        state=row["state"],
        code_challenge=row["code_challenge"],
        scope=row["scope"],
        resource=row["resource"],
        upstream_nonce=row["upstream_nonce"],
        identity_id=None if row["identity_id"] is None else int(row["identity_id"]),
        stage=row["stage"],
        granted_scope=row["granted_scope"],
        csrf=row["csrf"],
        resume_path=row["resume_path"],
        expires_at=float(row["expires_at"]),
    )


def _select_authorization(
    conn: sqlite3.Connection, column: str, value: str, now: float
) -> AuthorizationRow | None:
    assert column in ("browser_hash", "upstream_state_hash")
    row = conn.execute(
        f"SELECT * FROM oauth_authorizations WHERE {column} = ? AND expires_at >= ?", (value, now)
    ).fetchone()
    return None if row is None else _authorization_from_row(row)


def _update_authorization(
    conn: sqlite3.Connection, authorization_id: int, from_stage: str, changes: dict[str, object]
) -> None:
    assignments = ", ".join(f"{column} = ?" for column in changes)
    cursor = conn.execute(
        f"UPDATE oauth_authorizations SET {assignments} WHERE id = ? AND stage = ?",
        (*changes.values(), authorization_id, from_stage),
    )
    if cursor.rowcount != 1:
        raise StorageError("the authorization request is no longer at that step; start again from the client")


def _delete_authorization(conn: sqlite3.Connection, authorization_id: int) -> None:
    conn.execute("DELETE FROM oauth_authorizations WHERE id = ?", (authorization_id,))


def _issue_code(
    conn: sqlite3.Connection, authorization_id: int, code_hash: str, now: float, lifetime: float
) -> AuthorizationRow:
    row = conn.execute(
        "SELECT * FROM oauth_authorizations WHERE id = ? AND stage = 'approved' AND expires_at >= ?",
        (authorization_id, now),
    ).fetchone()
    if row is None:
        raise StorageError(
            "the authorization request expired or was already finished; start again from the client"
        )
    authorization = _authorization_from_row(row)
    conn.execute(
        "INSERT INTO oauth_codes (code_hash, client_id, identity_id, redirect_uri, code_challenge, scope,"
        " resource, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code_hash,
            authorization.client_id,
            authorization.identity_id,
            authorization.redirect_uri,
            authorization.code_challenge,
            authorization.granted_scope or "",
            authorization.resource,
            now,
            now + lifetime,
        ),
    )
    conn.execute("DELETE FROM oauth_authorizations WHERE id = ?", (authorization_id,))
    return authorization


def _preview_code(conn: sqlite3.Connection, code_hash: str) -> GrantRow | None:
    row = conn.execute(
        "SELECT 0 AS id, c.identity_id, i.subject, i.telegram_user_id, c.client_id, c.scope, c.resource,"
        " c.expires_at, NULL AS revoked_at FROM oauth_codes c JOIN identities i ON i.id = c.identity_id"
        " WHERE c.code_hash = ? AND c.used_at IS NULL",
        (code_hash,),
    ).fetchone()
    return None if row is None else grant_from_row(row)


def _redeem_code(
    conn: sqlite3.Connection,
    code_hash: str,
    check: CodeCheck,
    issue: IssueTokens,
    now: float,
    grant_lifetime: float,
) -> Exchange:
    row = conn.execute("SELECT * FROM oauth_codes WHERE code_hash = ?", (code_hash,)).fetchone()
    if row is None:
        return Exchange(outcome=Outcome.MISSING)
    if row["used_at"] is not None:
        # RFC 6749 §4.1.2 / OAuth 2.1 §4.1.3: a replayed code revokes the tokens it issued.
        if row["grant_id"] is not None:
            revoke_grant(conn, int(row["grant_id"]), now)
        return Exchange(outcome=Outcome.REPLAYED)
    conn.execute("UPDATE oauth_codes SET used_at = ? WHERE code_hash = ?", (now, code_hash))
    if float(row["expires_at"]) < now:
        return Exchange(outcome=Outcome.EXPIRED)
    if not constant_time_equal(row["client_id"], check.client_id):
        return Exchange(outcome=Outcome.WRONG_CLIENT)
    if check.redirect_uri is None or not constant_time_equal(row["redirect_uri"], check.redirect_uri):
        return Exchange(outcome=Outcome.WRONG_REDIRECT)
    if check.challenge_of_verifier is None or not constant_time_equal(
        row["code_challenge"], check.challenge_of_verifier
    ):
        return Exchange(outcome=Outcome.WRONG_VERIFIER)
    if check.resource is not None and check.resource != row["resource"]:
        return Exchange(outcome=Outcome.WRONG_RESOURCE)
    cursor = conn.execute(
        "INSERT INTO oauth_grants (identity_id, client_id, scope, resource, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (row["identity_id"], row["client_id"], row["scope"], row["resource"], now, now + grant_lifetime),
    )
    grant_id = int(cursor.lastrowid or 0)
    conn.execute("UPDATE oauth_codes SET grant_id = ? WHERE code_hash = ?", (grant_id, code_hash))
    record_tokens(conn, grant_id, issue, now, new_refresh=True)
    mark_client_used(conn, row["client_id"], now)
    return Exchange(outcome=Outcome.OK, grant=select_grant(conn, grant_id))
