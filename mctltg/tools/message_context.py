"""Messages around a message: ``get_message_context`` and ``get_replies``.

A model that found one message (by search, a mention, an unread digest) usually needs
what was said around it, or the comments under a channel post. Both render exactly like
the other read tools (``render_messages``: sanitized, wrapped, names once) and each is one
Telegram call: a history page centred on the message, or the post's reply thread.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field

from mctltg.errors import TelegramRpcError
from mctltg.oauth.scopes import MESSAGES_READ
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import NOTICE, new_nonce
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, tool
from mctltg.tools.messages import MAX_MESSAGE_ID, ReadOut
from mctltg.tools.render_messages import render_messages
from mctltg.tools.validate import bounded_int

__all__ = ["ContextOut", "RepliesOut", "get_message_context", "get_replies"]

AROUND_MAX: Final = 50
NO_THREAD: Final = (
    "That message has no replies thread here: only channel posts with comments and "
    "messages in groups have one; check the id with get_messages."
)


class ContextOut(ReadOut):
    target: int = Field(description="The message asked about; the others surround it, oldest first")


class RepliesOut(ReadOut):
    count: int = Field(description="Replies in the thread (more than listed when over limit)")


_PEER_HELP: Final = "Chat id as list_dialogs gives it"
_AROUND: Final = {"minimum": 0, "maximum": AROUND_MAX}


def _payload(messages: Any) -> dict[str, Any]:
    nonce = new_nonce()
    return {"notice": NOTICE.format(nonce=nonce), **render_messages(messages, nonce)}


@tool(MESSAGES_READ, title="Messages around a message", hints=READ_ONLY, output=ContextOut)
async def get_message_context(
    ctx: ToolContext,
    peer: Annotated[str, Field(description=_PEER_HELP)],
    message_id: Annotated[int, Field(json_schema_extra={"minimum": 1})],
    before: Annotated[int, Field(description="0-50", json_schema_extra=_AROUND)] = 5,
    after: Annotated[int, Field(description="0-50", json_schema_extra=_AROUND)] = 5,
) -> dict[str, Any]:
    """A message with up to `before` older and `after` newer ones, oldest first."""
    ref = parse_peer(peer)
    target = bounded_int("message_id", message_id, 1, MAX_MESSAGE_ID)
    older = bounded_int("before", before, 0, AROUND_MAX)
    newer = bounded_int("after", after, 0, AROUND_MAX)
    account = await ctx.account()
    found = await account.message_context(ref, target, before=older, after=newer)
    payload = _payload(found.messages)
    payload["target"] = found.target
    return payload


@tool(MESSAGES_READ, title="Replies or comments to a message", hints=READ_ONLY, output=RepliesOut)
async def get_replies(
    ctx: ToolContext,
    peer: Annotated[str, Field(description=_PEER_HELP)],
    message_id: Annotated[int, Field(json_schema_extra={"minimum": 1})],
    limit: Annotated[int, Field(description="1-100", json_schema_extra={"minimum": 1, "maximum": 100})] = 50,
) -> dict[str, Any]:
    """Comments on a channel post, or replies to a group message, newest first."""
    ref = parse_peer(peer)
    target = bounded_int("message_id", message_id, 1, MAX_MESSAGE_ID)
    count = bounded_int("limit", limit, 1, 100)
    account = await ctx.account()
    try:
        thread = await account.replies(ref, target, limit=count)
    except TelegramRpcError as exc:
        if exc.code != "MSG_ID_INVALID":
            raise
        raise TelegramRpcError(exc.code, NO_THREAD) from None
    payload = _payload(thread.messages)
    payload["count"] = thread.count
    return payload
