"""Everything that changes the world's messages: posting, pins, read marks, pts bookkeeping.

Each change that Telegram would number gets the next pts of the account (private chats,
basic groups) or of the channel, is logged for getDifference, and is pushed to the
connected clients concerned. The caller's own connection is left out of pushes; it learns
of the change from the answer to its request, as with the real server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from mctltg.sandbox.render import MENTION_PATTERN, message_peers, message_tl, updates_tl
from mctltg.sandbox.state import (
    PERSISTENT_MAX_LOG,
    ChannelRecord,
    Endpoint,
    LogEntry,
    PeerKey,
    StoredMessage,
    WorldState,
)
from mctltg.sandbox.tl import build

if TYPE_CHECKING:
    from collections.abc import Callable

    from mctltg.sandbox.values import SandboxMedia

__all__ = ["Change", "Draft", "RpcFault", "account_update", "channel_update", "post", "push", "store_copy"]


class RpcFault(Exception):
    """An RPC error the world answers with; the sender maps it to Telethon's error class."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Change:
    """A numbered change for one account or channel: the update, its pts, and entities."""

    update: Any
    pts: int
    pts_count: int
    peers: tuple[PeerKey, ...]


def push(
    state: WorldState,
    user_id: int,
    updates: list[Any],
    peers: tuple[PeerKey, ...],
    date: float,
    *,
    exclude: Endpoint | None = None,
) -> None:
    """Send ``updates`` (built for ``user_id``) to each of that account's connected clients."""
    targets = [e for e in state.endpoints_of(user_id) if e is not exclude]
    if not targets:
        return
    container = updates_tl(state, user_id, updates, peers, date)
    for endpoint in targets:
        endpoint.push(container)


def _log(entries: list[LogEntry], entry: LogEntry) -> None:
    entries.append(entry)
    if len(entries) > PERSISTENT_MAX_LOG:
        del entries[: len(entries) - PERSISTENT_MAX_LOG]


def account_update(
    state: WorldState,
    user_id: int,
    make: Callable[[int, int], Any],
    peers: tuple[PeerKey, ...],
    date: float,
    *,
    exclude: Endpoint | None = None,
    pts_count: int = 1,
) -> Change:
    """Number, log and push one account-level update; ``make(pts, pts_count)`` builds it."""
    account = state.accounts[user_id]
    account.pts += pts_count
    pts = account.pts
    _log(account.log, LogEntry(pts, pts_count, lambda _viewer: make(pts, pts_count), peers))
    update = make(pts, pts_count)
    push(state, user_id, [update], peers, date, exclude=exclude)
    return Change(update, pts, pts_count, peers)


def channel_update(
    state: WorldState,
    channel_id: int,
    make: Callable[[int, int, int], Any],
    peers: tuple[PeerKey, ...],
    date: float,
    *,
    exclude: Endpoint | None = None,
    pts_count: int = 1,
) -> Callable[[int], Change]:
    """Number, log and push one channel update; ``make(viewer, pts, pts_count)`` builds it.

    Returns a function giving the :class:`Change` as a given member sees it.
    """
    channel = state.channels[channel_id]
    channel.pts += pts_count
    pts = channel.pts
    _log(channel.log, LogEntry(pts, pts_count, lambda viewer: make(viewer, pts, pts_count), peers))
    for member in channel.members:
        if state.endpoints_of(member):  # render per member only for those listening
            push(state, member, [make(member, pts, pts_count)], peers, date, exclude=exclude)
    return lambda viewer: Change(make(viewer, pts, pts_count), pts, pts_count, peers)


def store_copy(state: WorldState, owner: int, message: StoredMessage) -> StoredMessage:
    """Give ``message`` the next id of ``owner``'s box and file it under its chat."""
    box = state.accounts[owner].box
    message.id = box.next_id
    box.next_id += 1
    box.messages[message.id] = message
    box.by_peer.setdefault(message.peer, []).append(message.id)
    state.copies.setdefault(message.logical, {})[owner] = message.id
    return message


def _mentions(state: WorldState, reader: int, text: str, replied_sender: int | None) -> bool:
    """Whether a group message mentions ``reader``: ``@username`` in it, or a reply to them."""
    username = state.users[reader].username
    if replied_sender == reader:
        return True
    if not username:
        return False
    return any(m.group(1).lower() == username.lower() for m in MENTION_PATTERN.finditer(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """What is being posted, from the sender's side (``reply_to`` is a sender-side id)."""

    sender: int
    peer: PeerKey
    text: str = ""
    date: float
    reply_to: int | None = None
    media: SandboxMedia | None = None
    silent: bool = False
    action: str | None = None
    action_users: tuple[int, ...] = ()
    fwd_from: int | None = None  # forwards: the original sender (None: drop_author or a post)
    fwd_date: float | None = None


def _box_recipients(state: WorldState, draft: Draft) -> dict[int, PeerKey]:
    """Each box owner who gets a copy, with the chat as that owner sees it."""
    if draft.peer.kind == "user":
        if draft.peer.id not in state.users:
            raise RpcFault(400, "PEER_ID_INVALID")
        if draft.peer.id == draft.sender:
            return {draft.sender: draft.peer}
        return {draft.sender: draft.peer, draft.peer.id: PeerKey("user", draft.sender)}
    group = state.groups.get(draft.peer.id)
    if group is None:
        raise RpcFault(400, "CHAT_ID_INVALID")
    if draft.sender not in group.members:
        raise RpcFault(403, "CHAT_WRITE_FORBIDDEN")
    return dict.fromkeys(group.members, draft.peer)


def _post_to_boxes(state: WorldState, draft: Draft, exclude: Endpoint | None) -> Change:
    logical = state.next_logical
    state.next_logical += 1
    media_id = _new_media(state, draft.media)
    replied = state.accounts[draft.sender].box.messages.get(draft.reply_to or 0)
    if replied is not None and replied.peer != draft.peer:
        replied = None  # a reply must stay in its chat; Telegram drops a stray one
    source = state.copies.get(replied.logical, {}) if replied else {}
    replied_sender = replied.sender if replied else None
    own: Change | None = None
    for owner, peer in _box_recipients(state, draft).items():
        copy = store_copy(
            state,
            owner,
            StoredMessage(
                id=0,
                peer=peer,
                sender=draft.sender,
                text=draft.text,
                date=draft.date,
                out=owner == draft.sender,
                reply_to=source.get(owner),
                media=draft.media,
                action=draft.action,
                action_users=draft.action_users,
                silent=draft.silent,
                logical=logical,
                media_id=media_id,
                fwd_from=draft.fwd_from,
                fwd_date=draft.fwd_date,
            ),
        )
        group = peer.kind == "chat"  # private chats have no mentions, as in Telegram
        if group and owner != draft.sender and _mentions(state, owner, draft.text, replied_sender):
            read_state = state.accounts[owner].read_state(peer)
            read_state.mentions.add(copy.id)
            read_state.unread_mentions.add(copy.id)

        def make(pts: int, pts_count: int, owner: int = owner, copy: StoredMessage = copy) -> Any:
            return build(
                types.UpdateNewMessage, message=message_tl(state, owner, copy), pts=pts, pts_count=pts_count
            )

        change = account_update(
            state,
            owner,
            make,
            message_peers(copy),
            draft.date,
            exclude=exclude if owner == draft.sender else None,
        )
        if owner == draft.sender:
            own = change
    assert own is not None  # the sender always owns a copy
    return own


def _post_to_channel(state: WorldState, draft: Draft, exclude: Endpoint | None) -> Change:
    channel = state.channels.get(draft.peer.id)
    if channel is None:
        raise RpcFault(400, "CHANNEL_INVALID")
    if draft.sender not in channel.members:
        raise RpcFault(403, "CHAT_WRITE_FORBIDDEN")
    if not channel.megagroup and draft.sender != channel.creator:
        raise RpcFault(403, "CHAT_ADMIN_REQUIRED")
    replied = channel.messages.get(draft.reply_to or 0)
    topic = forum_topic(channel, replied, draft.sender)
    message = StoredMessage(
        id=channel.next_id,
        peer=draft.peer,
        sender=draft.sender,
        text=draft.text,
        date=draft.date,
        reply_to=replied.id if replied else None,
        media=draft.media,
        action=draft.action,
        action_users=draft.action_users,
        silent=draft.silent,
        post=not channel.megagroup and draft.action is None,
        logical=state.next_logical,
        media_id=_new_media(state, draft.media),
        fwd_from=draft.fwd_from,
        fwd_date=draft.fwd_date,
        topic=topic,
    )
    channel.next_id += 1
    state.next_logical += 1
    channel.messages[message.id] = message
    for member in channel.members if channel.megagroup else ():  # broadcasts mention nobody
        if member != draft.sender and _mentions(
            state, member, draft.text, replied.sender if replied else None
        ):
            read_state = state.accounts[member].read_state(draft.peer)
            read_state.mentions.add(message.id)
            read_state.unread_mentions.add(message.id)

    def make(viewer: int, pts: int, pts_count: int) -> Any:
        return build(
            types.UpdateNewChannelMessage,
            message=message_tl(state, viewer, message),
            pts=pts,
            pts_count=pts_count,
        )

    peers = (*message_peers(message), PeerKey("user", draft.sender))
    return channel_update(state, channel.id, make, peers, draft.date, exclude=exclude)(draft.sender)


def forum_topic(channel: ChannelRecord, replied: StoredMessage | None, sender: int) -> int | None:
    """The forum topic a new message lands in: the replied message's (its top message's own).

    Raises:
        RpcFault: 400 ``TOPIC_CLOSED`` when the topic is closed and the sender is not its admin.
    """
    if not channel.forum or replied is None:
        return None
    topic = replied.id if replied.id in channel.topics else replied.topic
    record = channel.topics.get(topic or 0)
    if record is not None and record.closed and sender != channel.creator:
        raise RpcFault(400, "TOPIC_CLOSED")
    return None if topic == 1 else topic  # topic 1 is "General": no topic mark


def post(state: WorldState, draft: Draft, *, exclude: Endpoint | None = None) -> Change:
    """Deliver a message or service message to every box (or the channel) and push it.

    Returns the change as the sender sees it (its ``update.message.id`` is the sender's id).

    Raises:
        RpcFault: the peer does not exist or the sender may not write there.
    """
    if draft.peer.kind == "channel":
        return _post_to_channel(state, draft, exclude)
    return _post_to_boxes(state, draft, exclude)


def _new_media(state: WorldState, media: SandboxMedia | None) -> int:
    """The id of a newly posted attachment (0 for none), filed for ``upload.getFile``."""
    if media is None:
        return 0
    state.next_media_id += 1
    state.media_files[state.next_media_id] = media
    return state.next_media_id
