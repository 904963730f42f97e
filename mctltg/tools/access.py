"""``set_telegram_access``: an admin approves (or refuses) a person's Telegram access.

The decision is stored against the person's identity and read at every token issue
(authorization code and refresh), so it takes effect at the identity's next token:
approving someone lets their next sign-in (or their client's next refresh, within what
they consented to) carry Telegram scopes; refusing strips them at the next refresh.
A person who never signed in can be approved ahead of time by Telegram id.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult
from pydantic import BaseModel, Field, StrictInt

from mctltg.errors import InvalidInput, PermissionDenied
from mctltg.oauth.scopes import ADMIN_USERS, SCOPES, format_scope
from mctltg.oauth.tiers import TierPolicy
from mctltg.storage import IdentityRow, OAuthStore
from mctltg.tools.context import Caller, ToolDeps
from mctltg.tools.registry import add_tool
from mctltg.tools.runner import run_tool, success

__all__ = ["SetTelegramAccessOut", "register_access_tools"]

SCOPE = ADMIN_USERS


class SetTelegramAccessOut(BaseModel):
    identity: str = Field(description="The identity's subject, e.g. tg:123456")
    telegram_id: int | None = Field(description="The Telegram user id, when known")
    tier: Literal["client", "none"] = Field(description="The tier now in force for this identity")
    scopes: list[str] = Field(description="Scopes this identity's tokens may carry from its next token issue")
    effective: str = Field(description="When the change applies")
    sandbox: bool | None = Field(
        default=None, description="true when this server serves the sandbox Telegram"
    )


async def _target(deps: ToolDeps, telegram_id: int | None, identity: str | None) -> IdentityRow:
    identities = deps.directory.identities
    if (telegram_id is None) == (identity is None):
        raise InvalidInput(
            "telegram_id", "give exactly one of telegram_id (a number) or identity (e.g. tg:123456)"
        )
    if telegram_id is not None:
        if isinstance(telegram_id, bool) or not 0 < telegram_id < 2**53:
            raise InvalidInput("telegram_id", "must be a positive Telegram user id")
        row = await identities.ensure(f"tg:{telegram_id}")
        if row.telegram_user_id is None:
            row = await identities.set_telegram_user(row.id, telegram_id)
        return row
    assert identity is not None
    text = identity.strip()
    found = await identities.by_subject(text)
    if found is None and text.isdigit():
        found = await identities.get(int(text))
    if found is None:
        raise InvalidInput(
            "identity",
            f"no identity {text!r} exists; pass telegram_id to approve someone who has not signed in yet",
        )
    return found


def register_access_tools(server: MCPServer, deps: ToolDeps) -> None:
    store = deps.access_store
    if store is None:
        return
    admins = TierPolicy(admins=deps.login_admins)

    async def set_telegram_access(
        # Strict: JSON true, "123" or 123.0 is refused, never coerced (true would approve tg:1).
        telegram_id: Annotated[StrictInt | None, Field(description="The person's Telegram user id")] = None,
        identity: Annotated[
            str | None, Field(description="Or the identity's subject (tg:<id>) or row id")
        ] = None,
        tier: Annotated[
            Literal["client", "none"] | None,
            Field(description="client: every Telegram scope; none: signs in but gets no Telegram scopes"),
        ] = None,
        scopes: Annotated[
            list[str] | None,
            Field(description="Instead of a tier, exactly these scopes", max_length=len(SCOPES)),
        ] = None,
    ) -> Annotated[CallToolResult, SetTelegramAccessOut]:
        """Approve or refuse a person's Telegram access on this server (admins only).

        Give telegram_id or identity, and either tier (client or none) or an explicit scopes list.
        The change applies at that identity's next token issue (sign-in or refresh).
        """

        async def body(caller: Caller) -> CallToolResult:
            return await _set(deps, store, admins, caller, telegram_id, identity, tier, scopes)

        return await run_tool(deps, "set_telegram_access", SCOPE, body)

    add_tool(
        server,
        set_telegram_access,
        title="Set a person's Telegram access",
        meta={"mctltg/scope": SCOPE},
        read_only=False,
        destructive=False,
        idempotent=True,
        open_world=False,
    )


async def _set(
    deps: ToolDeps,
    store: OAuthStore,
    admins: TierPolicy,
    caller: Caller,
    telegram_id: int | None,
    identity: str | None,
    tier: str | None,
    scopes: list[str] | None,
) -> CallToolResult:
    if (tier is None) == (scopes is None):
        raise InvalidInput("tier", "give exactly one of tier (client or none) or scopes (a list)")
    chosen: frozenset[str] | None = None
    if scopes is not None:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise InvalidInput("scopes", f"unknown scope {unknown[0]!r}; known scopes: {', '.join(SCOPES)}")
        chosen = frozenset(scopes)
    target = await _target(deps, telegram_id, identity)
    if target.telegram_user_id is not None and target.telegram_user_id in admins.admins:
        raise PermissionDenied(
            f"{target.subject} is an operator listed in TG_LOGIN_ADMINS; change that setting instead."
        )
    decision = await store.set_access(target.id, tier=tier, scopes=chosen, set_by=caller.identity_id)
    access = admins.access(
        target.telegram_user_id, granted_tier=decision.tier, granted_scopes=decision.scopes
    )
    return success(
        {
            "identity": target.subject,
            "telegram_id": target.telegram_user_id,
            "tier": "none" if access.tier == "none" else "client",
            "scopes": format_scope(access.scopes).split(),
            "effective": "at this identity's next token issue (its next sign-in or token refresh)",
        },
        deps,
    )
