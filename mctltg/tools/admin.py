"""The operator's admin tools: the roster, anyone's audit log, anyone's send switch and session,
and worker tokens.

``list_identities`` and ``get_user_audit_log`` need ``admin:users:read`` (read only); the
others need ``admin:users``. Every rule (who may be a target, which account is whose,
what each change records on the target's own audit chain) lives in
``accounts/admin.py``; worker tokens in ``oauth/worker_tokens.py``. Definitions are kept
lean: these six sit in every admin's ``tools/list``.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, Field

from mctltg.accounts.admin import RosterEntry, UserAdmin, WorkerIssuer
from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import ADMIN_USERS, ADMIN_USERS_READ, SCOPES
from mctltg.tools.content import sanitize_name
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import ADMIN, READ_LOCAL, Hints, tool
from mctltg.tools.render import rfc3339
from mctltg.tools.send_tools import AuditLogOut, render_audit_entry
from mctltg.tools.validate import bounded_int

__all__ = [
    "get_user_audit_log",
    "list_identities",
    "mint_worker_token",
    "revoke_telegram_session",
    "revoke_worker_token",
    "set_account_send",
]

PAGE: Final = 50
#: Ends a session at Telegram: not undoable, but ending it twice is ending it once.
END_SESSION: Final = Hints(read_only=False, destructive=True, idempotent=True, open_world=True)
#: Each call mints another token.
MINT: Final = Hints(read_only=False, destructive=False, idempotent=False, open_world=False)
Identity = Annotated[str, Field(description="subject (tg:<id>) or id", max_length=200)]
AccountId = Annotated[int, Field(description="account id (list_identities)")]


class AccountOut(BaseModel):
    id: int
    status: str
    name: str | None = None
    send: bool


class IdentityOut(BaseModel):
    identity: str
    tier: str
    last_use: str | None = None
    accounts: list[AccountOut]


class ListIdentitiesOut(BaseModel):
    identities: list[IdentityOut]
    next_cursor: str | None = None


class AccountChangeOut(BaseModel):
    identity: str
    account: int
    send_enabled: bool | None = None
    logged_out: bool | None = None


class MintOut(BaseModel):
    token: str
    jti: str
    scopes: list[str]
    expires: str


class RevokeOut(BaseModel):
    revoked: list[str] = Field(description="jti")


def _entry(entry: RosterEntry) -> dict[str, Any]:
    identity = entry.identity
    accounts = []
    for account in identity.accounts:
        out: dict[str, Any] = {"id": account.id, "status": "broken" if account.broken else account.status}
        name = sanitize_name(account.display_name) + (f" @{account.username}" if account.username else "")
        if name.strip():
            out["name"] = name.strip()
        out["send"] = account.send_enabled
        accounts.append(out)
    rendered: dict[str, Any] = {"identity": identity.subject, "tier": entry.tier}
    if identity.last_use is not None:
        rendered["last_use"] = rfc3339(identity.last_use)
    rendered["accounts"] = accounts
    return rendered


def _admin(ctx: ToolContext) -> UserAdmin:
    admin = ctx.deps.admin
    assert admin is not None
    return admin


@tool(ADMIN_USERS_READ, title="List identities", hints=READ_LOCAL, output=ListIdentitiesOut, needs="admin")
async def list_identities(
    ctx: ToolContext,
    query: Annotated[str | None, Field(description="name, @username, subject or Telegram id")] = None,
    cursor: Annotated[str | None, Field(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """Admins: everyone on this server, with tier, accounts and last use."""
    if query is not None and len(query) > 200:
        raise InvalidInput("query", "must be at most 200 characters")
    page = await _admin(ctx).roster(query=query, cursor=cursor, limit=PAGE)
    out: dict[str, Any] = {"identities": [_entry(e) for e in page.entries]}
    if page.next_cursor is not None:
        out["next_cursor"] = page.next_cursor
    return out


@tool(ADMIN_USERS_READ, title="Someone's audit log", hints=READ_LOCAL, output=AuditLogOut, needs="admin")
async def get_user_audit_log(
    ctx: ToolContext,
    identity: Identity,
    limit: Annotated[int, Field(json_schema_extra={"minimum": 1, "maximum": 500})] = 50,
    before: Annotated[str | None, Field(description="next_before of the previous page")] = None,
) -> dict[str, Any]:
    """Admins: someone's audit log, newest first (never message text)."""
    count = bounded_int("limit", limit, 1, 500)
    cursor = None
    if before is not None:
        text = before.strip()
        if not text.isdigit() or len(text) > 18 or int(text) < 1:
            raise InvalidInput("before", "must be the next_before value of a previous page")
        cursor = int(text)
    _, entries = await _admin(ctx).audit_log(identity, limit=count, before=cursor)
    out: dict[str, Any] = {"entries": [render_audit_entry(e) for e in entries], "count": len(entries)}
    if len(entries) == count:
        out["next_before"] = str(entries[-1].id)
    return out


@tool(ADMIN_USERS, title="Switch someone's sends", hints=ADMIN, output=AccountChangeOut, needs="admin")
async def set_account_send(
    ctx: ToolContext, identity: Identity, account: AccountId, enabled: bool
) -> dict[str, Any]:
    """Admins: turn real sends of someone's account on or off."""
    admin = _admin(ctx)
    target = await admin.target(identity)
    await admin.set_account_send(
        actor=ctx.identity_id, identity=target.subject, account=account, enabled=enabled
    )
    return {"identity": target.subject, "account": account, "send_enabled": bool(enabled)}


@tool(
    ADMIN_USERS,
    title="End someone's Telegram session",
    hints=END_SESSION,
    output=AccountChangeOut,
    needs="admin",
)
async def revoke_telegram_session(ctx: ToolContext, identity: Identity, account: AccountId) -> dict[str, Any]:
    """Admins: log someone's account out at Telegram and erase its session here."""
    admin = _admin(ctx)
    target = await admin.target(identity)
    ended = await admin.revoke_session(actor=ctx.identity_id, identity=target.subject, account=account)
    return {"identity": target.subject, "account": account, "logged_out": ended.logged_out_at_telegram}


@tool(ADMIN_USERS, title="Mint a worker token", hints=MINT, output=MintOut, needs="workers")
async def mint_worker_token(
    ctx: ToolContext,
    identity: Identity,
    scopes: Annotated[list[str], Field(max_length=len(SCOPES))],
    ttl: Annotated[str, Field(description="e.g. 12h, 30d", max_length=20)],
    purpose: Annotated[str, Field(max_length=64)],
) -> dict[str, Any]:
    """Admins: a long-lived token acting as someone, within their tier (e.g. for a canary)."""
    workers, admin = _workers(ctx), _admin(ctx)
    target = await admin.target(identity)
    admin.protect(ctx.identity_id, target)
    minted = await workers.mint(target, scopes=scopes, ttl=ttl, purpose=purpose, created_by=ctx.identity_id)
    return {
        "token": minted.token,
        "jti": minted.row.jti,
        "scopes": list(minted.row.scopes),
        "expires": rfc3339(minted.row.expires_at),
    }


@tool(ADMIN_USERS, title="Revoke worker tokens", hints=ADMIN, output=RevokeOut, needs="workers")
async def revoke_worker_token(
    ctx: ToolContext,
    jti: Annotated[str | None, Field(max_length=64)] = None,
    identity: Annotated[str | None, Field(description="or all of this identity's", max_length=200)] = None,
) -> dict[str, Any]:
    """Admins: revoke one worker token, or all of someone's."""
    workers, admin = _workers(ctx), _admin(ctx)
    if (jti is None) == (identity is None):
        raise InvalidInput("jti", "give exactly one of jti (one token) or identity (all of theirs)")
    if identity is not None:
        target = await admin.target(identity)
        admin.protect(ctx.identity_id, target)
        revoked = await workers.revoke(identity_id=target.id)
    else:
        assert jti is not None
        known = await workers.get(jti)
        if known is None:
            raise InvalidInput("jti", "no worker token has this jti; mctltg token list shows them")
        target = await admin.target(known.subject)
        admin.protect(ctx.identity_id, target)
        revoked = await workers.revoke(jti=known.jti)
    return {"revoked": [row.jti for row in revoked]}


def _workers(ctx: ToolContext) -> WorkerIssuer:
    workers = ctx.deps.workers
    assert workers is not None
    return workers
