"""``list_topics`` and ``list_folders``: finding your way in forums and chat folders.

A forum supergroup splits its messages into topics; the read tools take a ``topic_id``
from here. Chat folders are the person's own grouping of chats; ``list_dialogs`` takes a
folder id from here (or ``archived``).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, Field

from mctltg.oauth.scopes import DIALOGS_READ
from mctltg.telegram.model import ChatFolder, ForumTopic
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import sanitize_name
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, tool
from mctltg.tools.render import compact_date
from mctltg.tools.validate import bounded_int, optional_text

__all__ = ["ListFoldersOut", "ListTopicsOut", "list_folders", "list_topics"]

_LIMIT: Final = {"minimum": 1, "maximum": 100}


class TopicOut(BaseModel):
    id: int
    title: str
    unread_count: int
    closed: bool | None = None
    last_message_date: str | None = None


class ListTopicsOut(BaseModel):
    peer: str
    title: str | None = None
    topics: list[TopicOut]
    total: int


class FolderOut(BaseModel):
    id: int
    title: str
    chats: list[str] | None = None
    kinds: list[str] | None = None


class ListFoldersOut(BaseModel):
    folders: list[FolderOut]


def _topic(topic: ForumTopic) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": topic.id,
        "title": sanitize_name(topic.title),
        "unread_count": topic.unread_count,
    }
    if topic.closed:
        out["closed"] = True
    if topic.last_message_date is not None:
        out["last_message_date"] = compact_date(topic.last_message_date)
    return out


def _folder(folder: ChatFolder) -> dict[str, Any]:
    out: dict[str, Any] = {"id": folder.id, "title": sanitize_name(folder.title)}
    for key, values in (("chats", folder.include), ("kinds", folder.kinds)):
        if values:
            out[key] = list(values)
    return out


@tool(DIALOGS_READ, title="List a Telegram forum's topics", hints=READ_ONLY, output=ListTopicsOut)
async def list_topics(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="A forum chat")],
    query: Annotated[str | None, Field(description="Title contains this")] = None,
    limit: Annotated[int, Field(description="1-100", json_schema_extra=_LIMIT)] = 50,
) -> dict[str, Any]:
    """A forum group's topics with unread counts; pass a topic's `id` as topic_id to read tools."""
    ref = parse_peer(peer)
    needle = optional_text("query", query, max_length=100)
    count = bounded_int("limit", limit, 1, 100)
    account = await ctx.account()
    listing = await account.topics(ref, query=needle, limit=count)
    out: dict[str, Any] = {"peer": listing.peer}
    if listing.title:
        out["title"] = sanitize_name(listing.title)
    out["topics"] = [_topic(t) for t in listing.topics]
    out["total"] = listing.total
    return out


@tool(DIALOGS_READ, title="List Telegram chat folders", hints=READ_ONLY, output=ListFoldersOut)
async def list_folders(ctx: ToolContext) -> dict[str, Any]:
    """The user's chat folders; pass an `id` (or 'archived') as list_dialogs folder."""
    account = await ctx.account()
    return {"folders": [_folder(f) for f in await account.folders()]}
