"""``list_dialogs``: the account's conversations with canonical peer ids.

Every other tool takes a peer; this is where a model learns the ids to use.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult
from pydantic import BaseModel, Field

from mctltg.telegram import ops
from mctltg.tools.context import Caller, ToolDeps
from mctltg.tools.registry import add_tool
from mctltg.tools.render import render_dialog
from mctltg.tools.runner import run_tool, success
from mctltg.tools.validate import bounded_int, optional_text

__all__ = ["DialogOut", "ListDialogsOut", "register_dialog_tools"]

SCOPE = "telegram:dialogs:read"


class DialogOut(BaseModel):
    peer: str = Field(description="Canonical id to pass to other tools: user:<id>, chat:<id> or channel:<id>")
    type: Literal["user", "bot", "group", "supergroup", "channel"]
    title: str
    username: str | None = None
    unread_count: int
    unread_mentions_count: int | None = None
    muted: bool | None = None
    pinned: bool | None = None
    last_message_date: str | None = Field(default=None, description="RFC 3339, UTC")


class ListDialogsOut(BaseModel):
    dialogs: list[DialogOut]
    sandbox: bool | None = Field(
        default=None, description="true when this server serves the sandbox Telegram"
    )


def register_dialog_tools(server: MCPServer, deps: ToolDeps) -> None:
    async def list_dialogs(
        limit: Annotated[
            int,
            Field(
                description="How many dialogs, newest first (1-200)",
                json_schema_extra={"minimum": 1, "maximum": 200},
            ),
        ] = 50,
        query: Annotated[
            str | None,
            Field(description="Only dialogs whose title or @username contains this (case-insensitive)"),
        ] = None,
    ) -> Annotated[CallToolResult, ListDialogsOut]:
        """List the Telegram account's chats, groups and channels, newest first, with unread counts.

        Use the returned `peer` ids exactly as given when calling other tools.
        """

        async def body(caller: Caller) -> CallToolResult:
            count = bounded_int("limit", limit, 1, 200)
            needle = optional_text("query", query, max_length=100)
            dialogs = await deps.directory.call(
                caller.identity_id, "list_dialogs", ops.fetch_dialogs, count, needle
            )
            return success({"dialogs": [render_dialog(d) for d in dialogs]}, deps)

        return await run_tool(deps, "list_dialogs", SCOPE, body)

    add_tool(
        server,
        list_dialogs,
        title="List Telegram dialogs",
        meta={"mctltg/scope": SCOPE},
        read_only=True,
        destructive=False,
        idempotent=True,
        open_world=True,
    )
