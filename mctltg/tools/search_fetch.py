"""``search`` and ``fetch``: the two tools ChatGPT's connectors and deep research call by name.

OpenAI documents the pair exactly: ``search(query)`` answers ``{"results": [{"id", "title",
"url"}]}`` and ``fetch(id)`` answers ``{"id", "title", "text", "url", "metadata"}``, each as
one JSON text block (which every result of ours is). Over Telegram:

* ``search`` is Telegram's global message search (``TelegramAccount.search``, the same
  call as ``search_messages`` without a chat), newest first;
* an ``id`` is ``<peer>/<message id>`` (``channel:1234/56``): opaque to the client, stable
  for as long as the message exists, and parsed back without any lookup;
* ``fetch`` returns the message with its neighbours (``TelegramAccount.message_context``,
  the call behind ``get_message_context``), one line per message, oldest first;
* ``url`` is the message's public ``t.me/<username>/<id>`` link when its chat has a public
  username; every other message gets this server's ``/telegram/message/<peer>/<id>``,
  a page that shows nothing to anyone not signed in (``web/message_link.py``).

Texts and names pass the untrusted-content sanitizer and every message text is wrapped
in the result's ``<msg-NONCE>`` tag (``content.py``), with the usual ``notice``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Final

from pydantic import BaseModel, Field

from mctltg.errors import InvalidInput, PeerInvalid, TelegramRpcError
from mctltg.oauth.scopes import MESSAGES_READ
from mctltg.telegram.model import Message, PeerRef
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import NOTICE, TEXT_MAX, new_nonce, sanitize_name, sanitize_text, wrap
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, tool
from mctltg.tools.messages import MAX_MESSAGE_ID, QUERY_MAX
from mctltg.tools.render import compact_date

__all__ = [
    "MESSAGE_PATH",
    "FetchOut",
    "SearchOut",
    "chat_title",
    "fetch",
    "message_id",
    "message_url",
    "parse_message_id",
    "search",
    "transcript",
]

#: This server's own address of a message without a public link: ``<base>/telegram/message/<peer>/<id>``.
MESSAGE_PATH: Final = "/telegram/message"
RESULTS: Final = 20
AROUND: Final = 5
SNIPPET: Final = 200
NOT_FOUND: Final = "no message has the id {id!r} in your Telegram; pass an id exactly as search returned it"


class SearchHit(BaseModel):
    id: str
    title: str
    url: str
    text: str | None = Field(default=None, description="Snippet, untrusted")


class SearchOut(BaseModel):
    notice: str
    results: list[SearchHit]


class FetchOut(BaseModel):
    id: str
    title: str
    text: str = Field(description="The message and its neighbours, one per line; » marks it")
    url: str
    metadata: dict[str, Any]
    notice: str


def message_id(message: Message) -> str:
    """The opaque, stable id ``search`` hands out for ``message``."""
    return f"{message.peer}/{message.id}"


def parse_message_id(value: object) -> tuple[PeerRef, int]:
    """The chat and message an id names.

    Raises:
        InvalidInput: ``value`` is not an id ``search`` could have returned.
    """
    text = value.strip() if isinstance(value, str) else ""
    peer, _, number = text.rpartition("/")
    if not peer or not number.isdigit() or not 1 <= int(number) <= MAX_MESSAGE_ID:
        raise InvalidInput("id", "is not a message id; pass an id exactly as search returned it")
    try:
        return parse_peer(peer), int(number)
    except InvalidInput:
        raise InvalidInput("id", "is not a message id; pass an id exactly as search returned it") from None


def message_url(message: Message, base_url: str) -> str:
    """The public ``t.me`` link of a message in a public chat, else this server's address for it.

    ``t.me/c/...`` links (private channels and groups) open only for members, so they are
    not public: those messages get this server's URL like private chats do.
    """
    link = message.link
    if link and link.startswith("https://t.me/") and not link.startswith("https://t.me/c/"):
        return link
    return f"{base_url}{MESSAGE_PATH}/{message.peer}/{message.id}"


def chat_title(message: Message) -> str:
    """The name of ``message``'s chat, sanitized (a private chat's: the other person's)."""
    title = sanitize_name(message.peer_title)
    if not title and message.peer.startswith("user:") and not message.out:
        title = sanitize_name(message.sender_name)
    return title or message.peer


def _sender(message: Message) -> str:
    if message.out:
        return "me"
    return sanitize_name(message.sender_name) or message.sender or chat_title(message)


def _title(message: Message) -> str:
    """``Chat: sender, date``; just ``Chat, date`` where the chat is the sender (channel posts, DMs)."""
    chat, sender = chat_title(message), _sender(message)
    who = chat if sender == chat else f"{chat}: {sender}"
    return f"{who}, {compact_date(message.date)}"


def _body(message: Message, *, limit: int = TEXT_MAX) -> str:
    text = sanitize_text(message.text, official=message.official, limit=limit) if message.text else ""
    if message.media is not None:
        text = f"[{message.media.type}] {text}".rstrip()
    return text


def transcript(messages: Sequence[Message], target: int | None, nonce: str) -> str:
    """One line per message, oldest first: ``[» ]<date> <sender>: <msg-NONCE>text</msg-NONCE>``.

    Each text is wrapped on its own, so a text cannot pass for a line from someone else.
    ``target`` (marked ``»``) is kept even when it is a service message.
    """
    lines = []
    for message in sorted(messages, key=lambda m: m.id):
        if message.service and message.id != target:
            continue
        mark = "» " if message.id == target else ""
        lines.append(f"{mark}{compact_date(message.date)} {_sender(message)}: {wrap(_body(message), nonce)}")
    return "\n".join(lines)


@tool(MESSAGES_READ, title="Search Telegram messages (ChatGPT)", hints=READ_ONLY, output=SearchOut)
async def search(
    ctx: ToolContext, query: Annotated[str, Field(description="Words to find")]
) -> dict[str, Any]:
    """Search all chats' messages, newest first; open a result with fetch."""
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        raise InvalidInput("query", "must not be empty; give some words to search for")
    if len(text) > QUERY_MAX:
        raise InvalidInput("query", f"must be at most {QUERY_MAX} characters; got {len(text)}")
    account = await ctx.account()
    found = await account.search(text, peer=None, limit=RESULTS)
    nonce = new_nonce()
    results = []
    for message in found:
        if message.service:
            continue
        hit: dict[str, Any] = {
            "id": message_id(message),
            "title": _title(message),
            "url": message_url(message, ctx.deps.public_url),
        }
        snippet = _body(message, limit=SNIPPET)
        if snippet:
            hit["text"] = wrap(snippet, nonce)
        results.append(hit)
    return {"notice": NOTICE.format(nonce=nonce), "results": results}


@tool(MESSAGES_READ, title="Fetch a Telegram message (ChatGPT)", hints=READ_ONLY, output=FetchOut)
async def fetch(ctx: ToolContext, id: Annotated[str, Field(description="From search")]) -> dict[str, Any]:  # noqa: A002 -- OpenAI's fetch takes exactly `id`
    """A message found by search, with the messages just before and after it."""
    ref, number = parse_message_id(id)
    ctx.named.append(ref)  # the audit row names the chat, as for tools taking `peer`
    account = await ctx.account()
    try:
        found = await account.message_context(ref, number, before=AROUND, after=AROUND)
    except PeerInvalid:
        raise InvalidInput("id", NOT_FOUND.format(id=id.strip())) from None
    except TelegramRpcError as exc:
        if exc.code not in ("MSG_ID_INVALID", "CHANNEL_PRIVATE"):
            raise
        raise InvalidInput("id", NOT_FOUND.format(id=id.strip())) from None
    target = next(m for m in found.messages if m.id == found.target)
    nonce = new_nonce()
    metadata: dict[str, Any] = {
        "peer": target.peer,
        "chat": chat_title(target),
        "message_id": target.id,
        "date": compact_date(target.date),
        "from": _sender(target),
    }
    if target.reply_to:
        metadata["reply_to"] = target.reply_to
    return {
        "id": message_id(target),
        "title": _title(target),
        "text": transcript(found.messages, found.target, nonce),
        "url": message_url(target, ctx.deps.public_url),
        "metadata": metadata,
        "notice": NOTICE.format(nonce=nonce),
    }
