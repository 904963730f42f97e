"""``list_dialogs``: the account's conversations with canonical peer ids.

Every other tool takes a peer; this is where a model learns the ids to use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mctltg.oauth.scopes import DIALOGS_READ
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, tool
from mctltg.tools.render import render_dialog
from mctltg.tools.validate import bounded_int, optional_text

__all__ = ["DialogOut", "ListDialogsOut", "list_dialogs"]


class DialogOut(BaseModel):
    peer: str = Field(description="Pass to other tools as is")
    type: Literal["user", "bot", "group", "supergroup", "channel"]
    title: str
    username: str | None = None
    unread_count: int
    unread_mentions_count: int | None = None
    muted: bool | None = None
    pinned: bool | None = None
    last_message_date: str | None = None


class ListDialogsOut(BaseModel):
    dialogs: list[DialogOut]


@tool(DIALOGS_READ, title="List Telegram dialogs", hints=READ_ONLY, output=ListDialogsOut)
async def list_dialogs(
    ctx: ToolContext,
    limit: Annotated[int, Field(description="1-200", json_schema_extra={"minimum": 1, "maximum": 200})] = 50,
    query: Annotated[str | None, Field(description="Title or @username contains this")] = None,
) -> dict[str, Any]:
    """List chats, newest first, with unread counts. Pass each `peer` to other tools as is."""
    count = bounded_int("limit", limit, 1, 200)
    needle = optional_text("query", query, max_length=100)
    account = await ctx.account()
    dialogs = await account.dialogs(count, needle)
    return {"dialogs": [render_dialog(d) for d in dialogs]}
