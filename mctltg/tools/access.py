"""``set_telegram_access``: an admin approves (or refuses) a person's Telegram access.

The decision is stored against the person's identity and read at every token issue
(authorization code and refresh), so it takes effect at the identity's next token:
approving someone lets their next sign-in (or their client's next refresh, within what
they consented to) carry Telegram scopes; refusing strips them at the next refresh.
A person who never signed in can be approved ahead of time by Telegram id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt

from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import ADMIN_USERS, SCOPES, format_scope
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import ADMIN, tool

__all__ = ["SetTelegramAccessOut", "set_telegram_access"]


class SetTelegramAccessOut(BaseModel):
    identity: str
    telegram_id: int | None
    tier: Literal["client", "none"]
    scopes: list[str]
    effective: str


@tool(
    ADMIN_USERS,
    title="Set a person's Telegram access",
    hints=ADMIN,
    output=SetTelegramAccessOut,
    needs="access",
)
async def set_telegram_access(
    ctx: ToolContext,
    # Strict: JSON true, "123" or 123.0 is refused, never coerced (true would approve tg:1).
    telegram_id: Annotated[StrictInt | None, Field(description="Telegram user id")] = None,
    identity: Annotated[str | None, Field(description="Or subject (tg:<id>)")] = None,
    tier: Annotated[
        Literal["client", "none"] | None,
        Field(description="client: all scopes; none: none"),
    ] = None,
    scopes: Annotated[
        list[str] | None, Field(description="Or exactly these scopes", max_length=len(SCOPES))
    ] = None,
) -> dict[str, Any]:
    """Admins: set someone's Telegram access (give telegram_id or identity, and tier or scopes)."""
    admin = ctx.deps.access
    assert admin is not None
    if (tier is None) == (scopes is None):
        raise InvalidInput("tier", "give exactly one of tier (client or none) or scopes (a list)")
    chosen: frozenset[str] | None = None
    if scopes is not None:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise InvalidInput("scopes", f"unknown scope {unknown[0]!r}; known scopes: {', '.join(SCOPES)}")
        chosen = frozenset(scopes)
    change = await admin.set(
        set_by=ctx.identity_id, telegram_id=telegram_id, identity=identity, tier=tier, scopes=chosen
    )
    return {
        "identity": change.subject,
        "telegram_id": change.telegram_user_id,
        "tier": "none" if change.tier == "none" else "client",
        "scopes": format_scope(change.scopes).split(),
        "effective": "at this identity's next token issue (its next sign-in or token refresh)",
    }
