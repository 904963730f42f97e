"""``list_dialogs``: the account's conversations with canonical peer ids.

Every other tool takes a peer; this is where a model learns the ids to use. With
``folder`` it lists the archive or one chat folder (``list_folders``), and ``cursor``
pages on: a result without ``next_cursor`` is the end of the list.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import DIALOGS_READ
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, tool
from mctltg.tools.render import render_dialog
from mctltg.tools.validate import bounded_int, optional_text

__all__ = ["DialogOut", "ListDialogsOut", "list_dialogs"]

ARCHIVED = "archived"


class DialogOut(BaseModel):
    peer: str = Field(description="Pass to other tools as is")
    type: Literal["user", "bot", "group", "supergroup", "channel"]
    title: str
    username: str | None = None
    unread_count: int
    unread_mentions_count: int | None = None
    muted: bool | None = None
    pinned: bool | None = None
    forum: bool | None = None
    last_message_date: str | None = None


class ListDialogsOut(BaseModel):
    dialogs: list[DialogOut]
    next_cursor: str | None = Field(default=None, description="Pass as cursor; absent at the end")


def _folder(value: str | int | None) -> int | None:  # an int too: some clients send numbers
    """``archived`` is Telegram's folder 1; a chat folder id comes from ``list_folders``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().lower() == ARCHIVED:
        return 1
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 255:
        raise InvalidInput("folder", "must be 'archived' or a folder id from list_folders")
    return value


@tool(DIALOGS_READ, title="List Telegram dialogs", hints=READ_ONLY, output=ListDialogsOut)
async def list_dialogs(
    ctx: ToolContext,
    limit: Annotated[int, Field(description="1-200", json_schema_extra={"minimum": 1, "maximum": 200})] = 50,
    query: Annotated[str | None, Field(description="Title or @username contains this")] = None,
    folder: Annotated[str | None, Field(description="'archived' or a list_folders id")] = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """List chats, newest first, with unread counts. Pass each `peer` to other tools as is."""
    count = bounded_int("limit", limit, 1, 200)
    needle = optional_text("query", query, max_length=100)
    where = _folder(folder)
    after = optional_text("cursor", cursor, max_length=64) or None
    account = await ctx.account()
    page = await account.dialog_page(count, query=needle, folder=where, cursor=after)
    out: dict[str, Any] = {"dialogs": [render_dialog(d) for d in page.dialogs]}
    if page.next_cursor is not None:
        out["next_cursor"] = page.next_cursor
    return out
