"""``disconnect_telegram_account`` and ``delete_telegram_account``: the owner ends the connection.

Both act only on the caller's own account (there is no account argument to get
wrong) and are safe against a tool call on the same account running at the same
time: the stored session goes first, then the live connection logs out and stops,
so the session is never loaded again (``accounts/manage.py``). Disconnect keeps a
``revoked`` row so the person can reconnect; delete removes the row, the sealed
session with its entity cache and all per-account metadata from the database file.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mctltg.accounts import delete_account, disconnect_account
from mctltg.oauth.scopes import ACCOUNT_MANAGE
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import DESTRUCTIVE, tool

__all__ = ["DeleteOut", "DisconnectOut", "delete_telegram_account", "disconnect_telegram_account"]


class DisconnectOut(BaseModel):
    disconnected: bool
    had_active_session: bool
    message: str


class DeleteOut(BaseModel):
    deleted: bool
    had_active_session: bool
    message: str


@tool(ACCOUNT_MANAGE, title="Disconnect my Telegram account", hints=DESTRUCTIVE, output=DisconnectOut)
async def disconnect_telegram_account(ctx: ToolContext) -> dict[str, Any]:
    """End your Telegram session here and at Telegram; you can connect again later."""
    outcome = await disconnect_account(ctx.deps.directory, ctx.identity_id)
    message = (
        "Your Telegram account is disconnected; its session was ended and erased."
        if outcome.disconnected
        else "No Telegram account was connected for you; nothing changed."
    )
    return {
        "disconnected": outcome.disconnected,
        "had_active_session": outcome.had_active_session,
        "message": message,
    }


@tool(
    ACCOUNT_MANAGE, title="Delete my Telegram account from this server", hints=DESTRUCTIVE, output=DeleteOut
)
async def delete_telegram_account(ctx: ToolContext) -> dict[str, Any]:
    """Delete your Telegram account from this server for good, with its session and settings."""
    outcome = await delete_account(ctx.deps.directory, ctx.identity_id)
    message = (
        "Your Telegram account and everything stored for it were deleted from this server."
        if outcome.deleted
        else "No Telegram account was stored for you; nothing changed."
    )
    return {"deleted": outcome.deleted, "had_active_session": outcome.had_active_session, "message": message}
