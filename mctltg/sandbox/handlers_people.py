"""People and threads: ``contacts.search`` and ``messages.getReplies``.

``contacts.search`` answers as Telegram does: ``my_results`` are the caller's contacts
and chats whose name or username matches, ``results`` the public usernames (people,
channels) that start with the query and are not already among the caller's own. Phone
numbers travel only inside the ``User`` objects, under the same rule as everywhere
(``render.user_tl``: shown to a contact only when that contact shares it).

``messages.getReplies`` returns a thread: for a broadcast post, the comments in the
channel's linked discussion supergroup (replies to the post's copy there); for a
supergroup message, the replies under it. A post without a comments thread is
``MSG_ID_INVALID``, as on Telegram.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.handlers_reading import messages_answer, readable_peer, timestamp
from mctltg.sandbox.render import entities, peer_tl
from mctltg.sandbox.state import PeerKey, StoredMessage
from mctltg.sandbox.tl import build
from mctltg.sandbox.views import window

__all__ = ["ROUTES"]

SEARCH_LIMIT_MAX = 100


def _matches(query: str, *names: str | None) -> bool:
    """Telegram's contact match: some word of a name, or the username, starts with the query."""
    for name in names:
        if not name:
            continue
        lowered = name.lower()
        if lowered.startswith(query) or any(word.startswith(query) for word in lowered.split()):
            return True
    return False


def search(call: Call, request: Any) -> Any:
    me = call.me
    query = request.q.strip().lstrip("@").lower()
    if not query:
        raise RpcFault(400, "SEARCH_QUERY_EMPTY")
    limit = min(max(request.limit, 1), SEARCH_LIMIT_MAX)
    state = call.state
    account = state.accounts[me]
    mine: list[PeerKey] = []
    for uid in sorted(account.contacts):
        user = state.users[uid]
        if _matches(query, user.first_name, user.last_name, user.username):
            mine.append(PeerKey("user", uid))
    for group in state.groups.values():
        if me in group.members and _matches(query, group.title):
            mine.append(PeerKey("chat", group.id))
    for channel in state.channels.values():
        if me in channel.members and _matches(query, channel.title, channel.username):
            mine.append(PeerKey("channel", channel.id))
    mine = mine[:limit]
    public: list[PeerKey] = []
    for user in state.users.values():
        peer = PeerKey("user", user.id)
        if user.id != me and user.username and user.username.lower().startswith(query) and peer not in mine:
            public.append(peer)
    for channel in state.channels.values():
        peer = PeerKey("channel", channel.id)
        if channel.username and channel.username.lower().startswith(query) and peer not in mine:
            public.append(peer)
    public = public[: max(limit - len(mine), 0)]
    users, chats = entities(state, me, [*mine, *public])
    return build(
        types.contacts.Found,
        my_results=[peer_tl(p) for p in mine],
        results=[peer_tl(p) for p in public],
        chats=chats,
        users=users,
    )


def _in_thread(store: dict[int, StoredMessage], message: StoredMessage, top: int) -> bool:
    """True when ``message``'s chain of replies leads up to ``top``."""
    seen: set[int] = set()
    parent = message.reply_to
    while parent and parent not in seen:
        if parent == top:
            return True
        seen.add(parent)
        above = store.get(parent)
        parent = above.reply_to if above else None
    return False


def get_replies(call: Call, request: Any) -> Any:
    peer = readable_peer(call, request.peer)
    if peer.kind != "channel":
        raise RpcFault(400, "MSG_ID_INVALID")  # threads live in channels and supergroups only
    channel = call.state.channels[peer.id]
    if request.msg_id not in channel.messages or channel.messages[request.msg_id].action is not None:
        raise RpcFault(400, "MSG_ID_INVALID")
    if channel.megagroup:
        thread, top = channel, request.msg_id
    else:
        copy = channel.threads.get(request.msg_id)
        if channel.linked_chat is None or copy is None:
            raise RpcFault(400, "MSG_ID_INVALID")
        thread, top = call.state.channels[channel.linked_chat], copy
    newest_first = [m for m in reversed(thread.messages.values()) if _in_thread(thread.messages, m, top)]
    page = window(
        newest_first,
        offset_id=request.offset_id,
        offset_date=timestamp(request.offset_date),
        add_offset=request.add_offset,
        limit=request.limit,
        max_id=request.max_id,
        min_id=request.min_id,
    )
    return messages_answer(call, PeerKey("channel", thread.id), page)


ROUTES: tuple[Route, ...] = (
    Route(functions.contacts.SearchRequest, search),
    Route(functions.messages.GetRepliesRequest, get_replies),
)
