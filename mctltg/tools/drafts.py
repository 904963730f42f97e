"""Real Telegram drafts: the safe default write.

``save_draft`` puts a text in a chat's own Telegram draft, where the person sees it in
every Telegram app and sends it (or not) with one tap; an empty text clears the draft.
Nothing reaches anyone else, so it needs only its own scope, ``telegram:drafts:write``
(the consent screen's "read and draft" level), and none of the send gate's conditions:
not ALLOW_SEND, not the account's send consent, not the per-peer limit. It is still a
write: every call is audited (peer type and id, never the text).

It takes no ``idempotency_key``: a draft is state, not an event. Saving the same text
again leaves the same draft, so a retry cannot repeat anything; and a late retry of an
older text is no worse than the person typing it back.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, Field

from mctltg.errors import InvalidInput
from mctltg.oauth.scopes import DRAFTS_WRITE, MESSAGES_READ
from mctltg.telegram.model import SavedDraft
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import NOTICE, new_nonce, sanitize_name, sanitize_text, wrap
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, WRITE, tool
from mctltg.tools.render import rfc3339
from mctltg.tools.validate import bounded_int

__all__ = ["DRAFT_TEXT_MAX", "get_drafts", "save_draft"]

DRAFT_TEXT_MAX: Final = 4096


class SaveDraftOut(BaseModel):
    peer: str
    status: str = Field(description="saved or cleared; nothing is ever sent")


class DraftOut(BaseModel):
    peer: str
    title: str
    text: str = Field(description="Untrusted content, wrapped in <msg-NONCE> tags")
    date: str | None = Field(default=None, description="RFC 3339, UTC")
    reply_to: int | None = None


class DraftsOut(BaseModel):
    notice: str
    drafts: list[DraftOut]


def _draft_text(value: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput("text", "must be a string")
    text = value.strip()
    if len(text) > DRAFT_TEXT_MAX:
        raise InvalidInput(
            "text", f"must be at most {DRAFT_TEXT_MAX} characters after trimming; got {len(text)}"
        )
    return text


@tool(DRAFTS_WRITE, title="Save a Telegram draft", hints=WRITE, output=SaveDraftOut)
async def save_draft(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="Chat id, @username or me")],
    text: Annotated[str, Field(description="Up to 4096 characters; empty clears the draft")],
    reply_to: Annotated[int | None, Field(json_schema_extra={"minimum": 1})] = None,
    topic_id: Annotated[
        int | None, Field(description="From list_topics", json_schema_extra={"minimum": 1})
    ] = None,
) -> dict[str, Any]:
    """Put text in the chat's own Telegram draft for the user to send; never sends."""
    ref, clean = parse_peer(peer), _draft_text(text)
    reply = None if reply_to is None else bounded_int("reply_to", reply_to, 1, 2**31 - 1)
    topic = None if topic_id is None else bounded_int("topic_id", topic_id, 1, 2**31 - 1)
    account = await ctx.account()
    canonical = await account.save_draft(ref, clean, reply_to=reply if clean else None, topic_id=topic)
    return {"peer": canonical, "status": "saved" if clean else "cleared"}


def render_draft(draft: SavedDraft, nonce: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "peer": draft.peer,
        "title": sanitize_name(draft.peer_title),
        "text": wrap(sanitize_text(draft.text), nonce),
    }
    if draft.date is not None:
        out["date"] = rfc3339(draft.date)
    if draft.reply_to is not None:
        out["reply_to"] = draft.reply_to
    return out


@tool(MESSAGES_READ, title="List Telegram drafts", hints=READ_ONLY, output=DraftsOut)
async def get_drafts(ctx: ToolContext) -> dict[str, Any]:
    """Every chat's unsent Telegram draft, newest first."""
    account = await ctx.account()
    found = await account.drafts()
    found.sort(key=lambda d: d.date or 0.0, reverse=True)
    nonce = new_nonce()
    return {"notice": NOTICE.format(nonce=nonce), "drafts": [render_draft(d, nonce) for d in found]}
