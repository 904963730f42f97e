"""The caller's own Telegram accounts: list them, pick the default, disconnect or delete one.

A person may connect several Telegram accounts, each with a label of their choosing;
every Telegram tool takes ``account`` (label or id) and uses the default without it.
``list_my_accounts`` and ``set_default_account`` show and choose; disconnect and delete
act on the account named (the default when omitted), only ever the caller's own, and are
safe against a tool call on the same account running at the same time: the stored
session goes first, then the live connection logs out and stops, so the session is never
loaded again (``accounts/manage.py``). Disconnect keeps a ``revoked`` row so the person
can reconnect under the same label; delete removes the row, the sealed session with its
entity cache and all per-account metadata from the database file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mctltg.accounts import delete_account, disconnect_account
from mctltg.oauth.scopes import ACCOUNT_MANAGE
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import DESTRUCTIVE, LOCAL_WRITE, READ_LOCAL, tool

__all__ = [
    "AccountsOut",
    "DeleteOut",
    "DisconnectOut",
    "delete_telegram_account",
    "disconnect_telegram_account",
    "list_my_accounts",
    "set_default_account",
]


class DisconnectOut(BaseModel):
    disconnected: bool
    had_active_session: bool
    message: str


class DeleteOut(BaseModel):
    deleted: bool
    had_active_session: bool
    message: str


class AccountOut(BaseModel):
    label: str
    id: int
    name: str
    status: Literal["active", "pending", "disconnected", "broken"]
    default: bool


class AccountsOut(BaseModel):
    accounts: list[AccountOut]


class DefaultOut(BaseModel):
    default: str


@tool(ACCOUNT_MANAGE, title="Disconnect a Telegram account", hints=DESTRUCTIVE, output=DisconnectOut,
      per_account=True)  # fmt: skip
async def disconnect_telegram_account(ctx: ToolContext) -> dict[str, Any]:
    """End a Telegram session here and at Telegram; you can connect again later."""
    outcome = await disconnect_account(ctx.deps.directory, ctx.identity_id, ctx.account_choice)
    message = (
        f"Your Telegram account '{outcome.label}' is disconnected; its session was ended and erased."
        if outcome.disconnected
        else "That Telegram account was not connected; nothing changed."
    )
    return {
        "disconnected": outcome.disconnected,
        "had_active_session": outcome.had_active_session,
        "message": message,
    }


@tool(ACCOUNT_MANAGE, title="Delete a Telegram account from this server", hints=DESTRUCTIVE, output=DeleteOut,
      per_account=True)  # fmt: skip
async def delete_telegram_account(ctx: ToolContext) -> dict[str, Any]:
    """Delete a Telegram account from this server for good, with its session and settings."""
    outcome = await delete_account(ctx.deps.directory, ctx.identity_id, ctx.account_choice)
    message = (
        f"Your Telegram account '{outcome.label}' and everything stored for it were deleted from this server."
        if outcome.deleted
        else "No Telegram account was stored for you; nothing changed."
    )
    return {"deleted": outcome.deleted, "had_active_session": outcome.had_active_session, "message": message}


@tool(None, title="My Telegram accounts", hints=READ_LOCAL, output=AccountsOut)
async def list_my_accounts(ctx: ToolContext) -> dict[str, Any]:
    """Your connected Telegram accounts. Pass a label or id as `account` to any tool; default if omitted."""
    rows = await ctx.deps.directory.list_accounts(ctx.identity_id)
    return {
        "accounts": [
            {
                "label": row.label,
                "id": row.id,
                "name": row.display_name,
                "status": "broken"
                if row.broken
                else "disconnected"
                if row.status == "revoked"
                else row.status,
                "default": row.is_default,
            }
            for row in rows
        ]
    }


@tool(ACCOUNT_MANAGE, title="Choose the default Telegram account", hints=LOCAL_WRITE, output=DefaultOut)
async def set_default_account(
    ctx: ToolContext, account: Annotated[str, Field(description="Label or id")]
) -> dict[str, Any]:
    """Use this account when a tool is called without `account`."""
    row = await ctx.deps.directory.set_default(ctx.identity_id, account)
    ctx.used.append(row.id)
    return {"default": row.label}
