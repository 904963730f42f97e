"""``disconnect_telegram_account`` and ``delete_telegram_account``: the owner ends the connection.

Both act only on the caller's own account (there is no account argument to get
wrong) and are safe against a tool call on the same account running at the same
time: the stored session goes first, then the live connection logs out and stops,
so the session is never loaded again (``accounts/manage.py``). Disconnect keeps a
``revoked`` row so the person can reconnect; delete removes the row, the sealed
session with its entity cache and all per-account metadata from the database file.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from mctltg.accounts import delete_account, disconnect_account
from mctltg.tools.context import Caller, ToolDeps
from mctltg.tools.registry import add_tool
from mctltg.tools.runner import run_tool, success

__all__ = ["DeleteOut", "DisconnectOut", "register_account_tools"]

SCOPE = "account:manage"


class DisconnectOut(BaseModel):
    disconnected: bool = Field(description="true if a connected account was disconnected now")
    had_active_session: bool = Field(description="true if the account had a working session")
    message: str
    sandbox: bool | None = Field(
        default=None, description="true when this server serves the sandbox Telegram"
    )


class DeleteOut(BaseModel):
    deleted: bool = Field(description="true if an account (connected or not) was deleted now")
    had_active_session: bool = Field(description="true if the account had a working session")
    message: str
    sandbox: bool | None = Field(
        default=None, description="true when this server serves the sandbox Telegram"
    )


def register_account_tools(server: MCPServer, deps: ToolDeps) -> None:
    async def disconnect_telegram_account() -> Annotated[CallToolResult, DisconnectOut]:
        """Disconnect your Telegram account from this server: its session ends at Telegram and is erased here.

        Your account record stays, so you can connect again later (`mctltg login` or /telegram/connect).
        """

        async def body(caller: Caller) -> CallToolResult:
            outcome = await disconnect_account(deps.directory, caller.identity_id)
            message = (
                "Your Telegram account is disconnected; its session was ended and erased."
                if outcome.disconnected
                else "No Telegram account was connected for you; nothing changed."
            )
            return success(
                {
                    "disconnected": outcome.disconnected,
                    "had_active_session": outcome.had_active_session,
                    "message": message,
                },
                deps,
            )

        return await run_tool(deps, "disconnect_telegram_account", SCOPE, body)

    async def delete_telegram_account() -> Annotated[CallToolResult, DeleteOut]:
        """Delete your Telegram account from this server for good.

        Ends the session at Telegram and removes the stored session, its cached peers and every
        per-account setting from the database. Connecting again starts from nothing.
        """

        async def body(caller: Caller) -> CallToolResult:
            outcome = await delete_account(deps.directory, caller.identity_id)
            message = (
                "Your Telegram account and everything stored for it were deleted from this server."
                if outcome.deleted
                else "No Telegram account was stored for you; nothing changed."
            )
            return success(
                {
                    "deleted": outcome.deleted,
                    "had_active_session": outcome.had_active_session,
                    "message": message,
                },
                deps,
            )

        return await run_tool(deps, "delete_telegram_account", SCOPE, body)

    add_tool(
        server,
        disconnect_telegram_account,
        title="Disconnect my Telegram account",
        meta={"mctltg/scope": SCOPE},
        read_only=False,
        destructive=True,
        idempotent=True,
        open_world=False,
    )
    add_tool(
        server,
        delete_telegram_account,
        title="Delete my Telegram account from this server",
        meta={"mctltg/scope": SCOPE},
        read_only=False,
        destructive=True,
        idempotent=True,
        open_world=False,
    )
