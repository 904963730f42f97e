"""The manage page's "Who can act as you" section: clients and worker tokens holding tokens for you.

Notifications of access without a bot: the person sees every OAuth client holding a live
grant for them (its name, the host it sends people back to — or, for a client whose id
is its metadata URL, that URL's host — what it may do and when it was last used), and
every live worker token an operator minted for them (its purpose, lifetime, last use).

Each has a revoke button: a POST carrying the session's CSRF token, answered with a
redirect back (post/redirect/get) and a fixed sentence. Revoking a client ends *this
person's* grants to it (``storage/oauth_holders.py``, the same grant revocation RFC 7009
uses), so its access and refresh tokens stop working at once; other people's grants to
the same client stay. Both leave an audit row (``web:revoke_client``,
``worker_token:revoke``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from quart import Blueprint, Response, request

from mctltg.oauth.worker_tokens import WorkerTokens
from mctltg.storage.oauth_holders import ClientHolding, TokenHolders
from mctltg.web.context import MANAGE_PATH, WebDeps, redirect, signed_in, signin_redirect

__all__ = ["CLIENT_NOTICES", "ClientAccess", "client_context", "install_client_routes"]

CLIENT_NOTICES: Final = {
    "client_revoked": "Revoked: the client's tokens for you stop working; it may ask you to sign in anew.",
    "worker_revoked": "Revoked: that worker token no longer works.",
}
REVOKE_CLIENT_PATH: Final = MANAGE_PATH + "/clients/revoke"
REVOKE_WORKER_PATH: Final = MANAGE_PATH + "/workers/revoke"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientAccess:
    """What the section reads and revokes; None on a server without OAuth (operator mode)."""

    holders: TokenHolders
    workers: WorkerTokens | None


def _host(holding: ClientHolding) -> str:
    """Where the client lives: its metadata URL's host (a URL client id), else its redirect's host."""
    if holding.client_id.startswith("https://"):
        return urlsplit(holding.client_id).hostname or holding.client_id
    for uri in holding.redirect_uris:
        host = urlsplit(uri).hostname
        if host:
            return host
    return "unknown host"


async def client_context(access: ClientAccess | None, identity_id: int) -> dict[str, Any]:
    """The template values of the section (``clients``, ``worker_tokens``); empty without OAuth."""
    if access is None:
        return {}
    clients = [
        {
            "client_id": holding.client_id,
            "name": holding.client_name or "An unnamed client",
            "host": _host(holding),
            "since": holding.since,
            "last_use": holding.last_use,
            "sends": any(scope.endswith(":send") for scope in holding.scopes),
        }
        for holding in await access.holders.clients_of(identity_id)
    ]
    tokens = []
    if access.workers is not None:
        now = access.workers.now()
        tokens = [row for row in await access.workers.listing(identity_id) if row.live(now)]
    return {"clients": clients, "worker_tokens": tokens, "show_clients": True}


def install_client_routes(blueprint: Blueprint, deps: WebDeps) -> None:
    """Add the section's two revoke routes to the manage page's blueprint."""
    access = deps.client_access

    def done(code: str) -> Response:
        return redirect(f"{MANAGE_PATH}?done={code}")

    @blueprint.post(REVOKE_CLIENT_PATH)
    async def revoke_client() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(MANAGE_PATH)
        form = await request.form
        if not session.csrf_ok(form.get("csrf")):
            return done("expired")
        client_id = form.get("client_id") or ""
        if access is None or not client_id or len(client_id) > 2048:
            return done("nothing")
        if not await access.holders.revoke_client(session.identity_id, client_id):
            return done("nothing")
        await deps.audit.append(identity_id=session.identity_id, tool="web:revoke_client", outcome="ok")
        return done("client_revoked")

    @blueprint.post(REVOKE_WORKER_PATH)
    async def revoke_worker() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(MANAGE_PATH)
        form = await request.form
        if not session.csrf_ok(form.get("csrf")):
            return done("expired")
        jti = form.get("jti") or ""
        workers = access.workers if access is not None else None
        if workers is None or not jti:
            return done("nothing")
        mine = await workers.get(jti) if len(jti) <= 64 else None
        if mine is None or mine.identity_id != session.identity_id or not await workers.revoke(jti=mine.jti):
            return done("nothing")
        return done("worker_revoked")
