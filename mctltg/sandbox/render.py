"""Turn the world's records into Telethon TL objects, as one account (the viewer) sees them.

Access hashes are per viewer and stable for the life of the world; ``out``, ``mentioned``,
``from_id`` and the contact flags depend on who looks. Nothing here changes state.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from telethon.tl import types

from mctltg.sandbox.media import current_reference
from mctltg.sandbox.render_media import FileHandle, media_tl
from mctltg.sandbox.state import PeerKey, ReadState, StoredMessage, WorldState
from mctltg.sandbox.tl import build, to_datetime

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mctltg.sandbox.values import SandboxMedia

__all__ = [
    "MENTION_PATTERN",
    "SANDBOX_DC_ID",
    "access_hash",
    "attachment_tl",
    "entities",
    "message_tl",
    "notify_settings_tl",
    "peer_tl",
    "updates_tl",
    "user_tl",
]

SANDBOX_DC_ID = 2
MENTION_PATTERN = re.compile(r"@([A-Za-z][A-Za-z0-9_]{2,31})")
MUTED_FOREVER = 2**31 - 1


def access_hash(state: WorldState, viewer: int, kind: str, target: int) -> int:
    """The stable, non-zero access hash ``viewer`` holds for a user or channel."""
    digest = hashlib.blake2b(f"{kind}:{viewer}:{target}".encode(), key=state.secret, digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


def peer_tl(peer: PeerKey) -> Any:
    if peer.kind == "user":
        return types.PeerUser(peer.id)
    if peer.kind == "chat":
        return types.PeerChat(peer.id)
    return types.PeerChannel(peer.id)


def user_tl(state: WorldState, viewer: int, user_id: int) -> Any:
    user = state.users[user_id]
    account = state.accounts.get(viewer)
    contact = account is not None and user_id in account.contacts and user_id != viewer
    mutual = contact and viewer in state.accounts[user_id].contacts
    return build(
        types.User,
        id=user_id,
        is_self=user_id == viewer,
        contact=contact,
        mutual_contact=mutual,
        bot=user.bot,
        verified=user.service or user.verified,
        support=user.service,
        scam=user.scam,
        fake=user.fake,
        premium=user.premium,
        access_hash=access_hash(state, viewer, "user", user_id),
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        phone=user.phone
        if (user_id == viewer or (contact and not user.phone_private) or user.service)
        else None,
        status=None if user.bot else build(types.UserStatusRecently),
        bot_info_version=1 if user.bot else None,
    )


def _group_tl(state: WorldState, viewer: int, group_id: int) -> Any:
    group = state.groups[group_id]
    if viewer not in group.members:
        return build(types.ChatForbidden, id=group_id, title=group.title)
    return build(
        types.Chat,
        id=group_id,
        title=group.title,
        photo=types.ChatPhotoEmpty(),
        participants_count=len(group.members),
        date=to_datetime(group.date),
        version=1,
        creator=group.creator == viewer,
    )


def _channel_tl(state: WorldState, viewer: int, channel_id: int) -> Any:
    channel = state.channels[channel_id]
    creator = channel.creator == viewer
    rights = None
    if creator:
        rights = build(
            types.ChatAdminRights,
            change_info=True,
            post_messages=not channel.megagroup,
            edit_messages=not channel.megagroup,
            delete_messages=True,
            ban_users=True,
            invite_users=True,
            pin_messages=True,
            add_admins=True,
        )
    return build(
        types.Channel,
        id=channel_id,
        title=channel.title,
        photo=types.ChatPhotoEmpty(),
        date=to_datetime(channel.date),
        creator=creator,
        left=viewer not in channel.members,
        broadcast=not channel.megagroup,
        megagroup=channel.megagroup,
        forum=channel.forum,
        access_hash=access_hash(state, viewer, "channel", channel_id),
        username=channel.username,
        participants_count=len(channel.members),
        admin_rights=rights,
        verified=channel.verified,
        scam=channel.scam,
        fake=channel.fake,
        slowmode_enabled=channel.slowmode_seconds > 0,
        has_link=channel.linked_chat is not None,
    )


def entities(state: WorldState, viewer: int, peers: Iterable[PeerKey]) -> tuple[list[Any], list[Any]]:
    """``(users, chats)`` for the peers, deduplicated, as ``viewer`` sees them."""
    users: list[Any] = []
    chats: list[Any] = []
    seen: set[PeerKey] = set()
    for peer in peers:
        if peer in seen:
            continue
        seen.add(peer)
        if peer.kind == "user" and peer.id in state.users:
            users.append(user_tl(state, viewer, peer.id))
        elif peer.kind == "chat" and peer.id in state.groups:
            chats.append(_group_tl(state, viewer, peer.id))
        elif peer.kind == "channel" and peer.id in state.channels:
            chats.append(_channel_tl(state, viewer, peer.id))
    return users, chats


def message_peers(message: StoredMessage) -> tuple[PeerKey, ...]:
    """The entities a client needs to show ``message``."""
    peers = [message.peer]
    if message.sender is not None:
        peers.append(PeerKey("user", message.sender))
    peers.extend(PeerKey("user", uid) for uid in message.action_users)
    if message.fwd_from is not None:
        peers.append(PeerKey("user", message.fwd_from))
    return tuple(peers)


def updates_tl(
    state: WorldState, viewer: int, updates: list[Any], peers: Iterable[PeerKey], date: float
) -> Any:
    """An ``Updates`` container (seq 0: no seq checks) with the entities it needs."""
    users, chats = entities(state, viewer, [PeerKey("user", viewer), *peers])
    return build(types.Updates, updates=updates, users=users, chats=chats, date=to_datetime(date), seq=0)


def notify_settings_tl(read_state: ReadState | None) -> Any:
    mute_until = read_state.mute_until if read_state else 0
    return build(
        types.PeerNotifySettings,
        show_previews=True,
        silent=False,
        mute_until=to_datetime(mute_until) if mute_until else None,
    )


def _mention_entities(state: WorldState, text: str) -> list[Any] | None:
    known = {user.username.lower() for user in state.users.values() if user.username}
    known.update(channel.username.lower() for channel in state.channels.values() if channel.username)
    out: list[Any] = []
    for match in MENTION_PATTERN.finditer(text):
        if match.group(1).lower() not in known:
            continue
        offset = len(text[: match.start()].encode("utf-16-le")) // 2
        length = len(match.group(0).encode("utf-16-le")) // 2
        out.append(types.MessageEntityMention(offset=offset, length=length))
    return out or None


def _media_tl(state: WorldState, viewer: int, media: SandboxMedia, media_id: int, date: float) -> Any:
    handle = FileHandle(
        id=media_id,
        access_hash=access_hash(state, viewer, "media", media_id),
        file_reference=current_reference(state, media_id),
        dc_id=SANDBOX_DC_ID,
    )
    return media_tl(media, handle, to_datetime(date))


def _action_tl(state: WorldState, message: StoredMessage) -> Any:
    title = ""
    if message.peer.kind == "chat":
        title = state.groups[message.peer.id].title
    elif message.peer.kind == "channel":
        title = state.channels[message.peer.id].title
    if message.action == "chat_create":
        return build(types.MessageActionChatCreate, title=title, users=list(message.action_users))
    if message.action == "channel_create":
        return build(types.MessageActionChannelCreate, title=title)
    if message.action == "topic_create" and message.peer.kind == "channel":
        topic = state.channels[message.peer.id].topics[message.id]
        return build(types.MessageActionTopicCreate, title=topic.title, icon_color=topic.icon_color)
    if message.action == "join":
        return build(types.MessageActionChatAddUser, users=list(message.action_users))
    return types.MessageActionPinMessage()


def _reply_header(message: StoredMessage) -> Any:
    """A forum message replies to its topic's top message, or to a message inside the topic."""
    if message.topic is not None:
        inner = message.reply_to not in (None, message.topic)
        return build(
            types.MessageReplyHeader,
            forum_topic=True,
            reply_to_msg_id=message.reply_to if inner else message.topic,
            reply_to_top_id=message.topic if inner else None,
        )
    if message.reply_to:
        return build(types.MessageReplyHeader, reply_to_msg_id=message.reply_to)
    return None


def message_tl(state: WorldState, viewer: int, message: StoredMessage) -> Any:
    """``Message`` or ``MessageService`` for one copy of a message, seen by ``viewer``."""
    peer = message.peer
    read_state = state.accounts[viewer].dialogs.get(peer)
    out = message.sender == viewer if peer.kind == "channel" else message.out
    if message.post:
        from_id = None
    elif peer.kind == "user" and not out:
        from_id = None  # incoming private messages carry no from_id (layer 119+)
    else:
        from_id = types.PeerUser(message.sender) if message.sender is not None else None
    common: dict[str, Any] = {
        "id": message.id,
        "peer_id": peer_tl(peer),
        "date": to_datetime(message.date),
        "out": out,
        "mentioned": bool(read_state and message.id in read_state.mentions),
        "media_unread": bool(read_state and message.id in read_state.unread_mentions),
        "silent": message.silent,
        "post": message.post,
        "from_id": from_id,
        "reply_to": _reply_header(message),
    }
    if message.action is not None:
        return build(types.MessageService, action=_action_tl(state, message), **common)
    media = _media_tl(state, viewer, message.media, message.media_id, message.date) if message.media else None
    return build(
        types.Message,
        message=message.text,
        media=media,
        entities=_mention_entities(state, message.text),
        pinned=message.pinned,
        views=len(state.channels[peer.id].members) if message.post else None,
        forwards=0 if message.post else None,  # TL sets views and forwards together
        edit_date=None if message.edit_date is None else to_datetime(message.edit_date),
        fwd_from=_fwd_header(message),
        reactions=reactions_tl(viewer, message),
        **common,
    )


def _fwd_header(message: StoredMessage) -> Any:
    if message.fwd_date is None:
        return None
    origin = None if message.fwd_from is None else types.PeerUser(message.fwd_from)
    return build(types.MessageFwdHeader, date=to_datetime(message.fwd_date), from_id=origin)


def reactions_tl(viewer: int, message: StoredMessage) -> Any:
    """``MessageReactions`` for one message as ``viewer`` sees it (None without reactions)."""
    if not message.reactions:
        return None
    counts: dict[str, int] = {}
    for emoji in message.reactions.values():
        counts[emoji] = counts.get(emoji, 0) + 1
    mine = message.reactions.get(viewer)
    results = [
        build(
            types.ReactionCount,
            reaction=types.ReactionEmoji(emoticon=emoji),
            count=count,
            chosen_order=0 if emoji == mine else None,
        )
        for emoji, count in counts.items()
    ]
    return build(types.MessageReactions, results=results, can_see_list=True)


def attachment_tl(state: WorldState, viewer: int, media: SandboxMedia, media_id: int, date: float) -> Any:
    """The ``MessageMedia`` of one media as ``viewer`` sees it (``messages.uploadMedia`` answers it)."""
    return _media_tl(state, viewer, media, media_id, date)
