"""People and chats: ``get_peer_info``, ``search_contacts``, ``get_my_identity``.

Read-only and compact: empty fields and false flags are left out, every name, title and
bio passes the untrusted-content sanitizer (a bio is written by whoever owns the
profile, so it is wrapped like a message text and the result carries ``notice``).
Phone numbers appear only in ``search_contacts``, only for a contact who shares theirs
with this account, and never in a log line or audit row: the audit keeps no arguments
and the tool logs none (``tests/tools/test_people.py`` checks both).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BaseModel, Field

from mctltg.errors import AccountRevoked, InvalidInput
from mctltg.oauth.scopes import DIALOGS_READ
from mctltg.telegram.model import PeerInfo, PeerMatch
from mctltg.telegram.peers import parse_peer
from mctltg.tools.content import NOTICE, new_nonce, sanitize_name, sanitize_text, wrap
from mctltg.tools.context import ToolContext
from mctltg.tools.declare import READ_ONLY, tool
from mctltg.tools.validate import bounded_int

__all__ = [
    "IdentityOut",
    "PeerInfoOut",
    "SearchContactsOut",
    "get_my_identity",
    "get_peer_info",
    "search_contacts",
]

QUERY_MAX: Final = 64
ABOUT_MAX: Final = 1024
_FLAGS: Final = ("verified", "scam", "fake", "contact")


class PeerInfoOut(BaseModel):
    notice: str
    peer: str
    type: str = Field(description="user, bot, group, supergroup or channel")
    title: str
    username: str | None = None
    about: str | None = Field(default=None, description="Bio, untrusted, in <msg-NONCE> tags")
    members: int | None = None
    verified: bool | None = None
    scam: bool | None = None
    fake: bool | None = None
    contact: bool | None = None
    can_write: bool
    slow_mode_seconds: int | None = None
    creator: bool | None = None
    admin_rights: list[str] | None = Field(default=None, description="Yours there")
    linked_chat: str | None = Field(default=None, description="Comments group, or its channel")


class MatchOut(BaseModel):
    peer: str
    type: str
    title: str
    username: str | None = None
    yours: bool | None = Field(default=None, description="Your contact or chat, not just public")
    contact: bool | None = None
    phone: str | None = None
    scam: bool | None = None


class SearchContactsOut(BaseModel):
    results: list[MatchOut]


class IdentityOut(BaseModel):
    id: int
    peer: str
    username: str | None = None
    display_name: str
    premium: bool | None = None


def _flags(value: PeerInfo | PeerMatch) -> dict[str, Any]:
    return {flag: True for flag in _FLAGS if getattr(value, flag, False)}


def _named(peer: str, kind: str, title: str, username: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"peer": peer, "type": kind, "title": sanitize_name(title)}
    if username:
        out["username"] = sanitize_name(username)
    return out


def _notice() -> tuple[str, str]:
    nonce = new_nonce()
    return nonce, NOTICE.format(nonce=nonce)


def _info(info: PeerInfo) -> dict[str, Any]:
    nonce, notice = _notice()
    out = {"notice": notice, **_named(info.peer, info.kind, info.title, info.username)}
    about = sanitize_text(info.about, limit=ABOUT_MAX) if info.about else ""
    if about:
        out["about"] = wrap(about, nonce)
    if info.members is not None:
        out["members"] = info.members
    out |= _flags(info)
    out["can_write"] = info.can_write
    if info.slow_mode_seconds:
        out["slow_mode_seconds"] = info.slow_mode_seconds
    if info.creator:
        out["creator"] = True
    if info.admin_rights:
        out["admin_rights"] = list(info.admin_rights)
    if info.linked_chat:
        out["linked_chat"] = info.linked_chat
    return out


def _match(match: PeerMatch) -> dict[str, Any]:
    out = _named(match.peer, match.kind, match.title, match.username)
    if match.yours:
        out["yours"] = True
    if match.contact:
        out["contact"] = True
    if match.phone:
        out["phone"] = match.phone
    if match.scam:
        out["scam"] = True
    return out


@tool(DIALOGS_READ, title="Telegram user or chat info", hints=READ_ONLY, output=PeerInfoOut)
async def get_peer_info(
    ctx: ToolContext,
    peer: Annotated[str, Field(description="Chat id as list_dialogs gives it, @username, or me")],
) -> dict[str, Any]:
    """Bio, members, flags, whether you can post, slow mode, your admin rights."""
    ref = parse_peer(peer)
    account = await ctx.account()
    return _info(await account.peer_info(ref))


@tool(DIALOGS_READ, title="Search contacts and usernames", hints=READ_ONLY, output=SearchContactsOut)
async def search_contacts(
    ctx: ToolContext,
    query: Annotated[str, Field(description="Name or username start")],
    limit: Annotated[int, Field(description="1-50", json_schema_extra={"minimum": 1, "maximum": 50})] = 20,
) -> dict[str, Any]:
    """Find people and chats by name or username: yours first, then public ones."""
    text = query.strip().lstrip("@").strip() if isinstance(query, str) else ""
    if not text:
        raise InvalidInput("query", "must not be empty; give the start of a name or username")
    if len(text) > QUERY_MAX:
        raise InvalidInput("query", f"must be at most {QUERY_MAX} characters; got {len(text)}")
    count = bounded_int("limit", limit, 1, 50)
    account = await ctx.account()
    found = await account.search_peers(text, limit=count)
    return {"results": [_match(m) for m in found]}


@tool(DIALOGS_READ, title="Who am I on Telegram", hints=READ_ONLY, output=IdentityOut)
async def get_my_identity(ctx: ToolContext) -> dict[str, Any]:
    """The connected Telegram account: id, username, display name, premium."""
    account = await ctx.account()
    profile = await account.profile()
    if profile is None:
        raise AccountRevoked()
    out: dict[str, Any] = {"id": profile.user_id, "peer": "me"}
    if profile.username:
        out["username"] = sanitize_name(profile.username)
    out["display_name"] = sanitize_name(profile.display_name)
    if profile.premium:
        out["premium"] = True
    return out
