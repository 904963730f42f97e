"""People and chats, ON the Telethon thread: one peer's full info, and contact search.

Each use case is one raw RPC (plus peer resolution): ``users.getFullUser``,
``channels.getFullChannel`` or ``messages.getFullChat`` for a peer's info,
``contacts.search`` for a search. Phone numbers: Telegram puts one in a ``User`` only
when that person shares it with this account; ``contacts.search`` keeps it only for a
contact (``PeerMatch.phone``), ``get_peer_info`` never returns one.
"""

from __future__ import annotations

from typing import Any, Final

from telethon.tl import functions, types

from mctltg.telegram.model import DialogKind, PeerInfo, PeerMatch, PeerRef
from mctltg.telegram.on_loop.convert import canonical_peer_of, chat_title, display_name
from mctltg.telegram.on_loop.resolve import with_peer

__all__ = ["ADMIN_RIGHTS", "fetch_peer_info", "search_peers"]

#: The admin rights reported, in Telegram's own flag names.
ADMIN_RIGHTS: Final = (
    "change_info",
    "post_messages",
    "edit_messages",
    "delete_messages",
    "ban_users",
    "invite_users",
    "pin_messages",
    "add_admins",
    "anonymous",
    "manage_call",
    "manage_topics",
)


def _kind(entity: Any) -> DialogKind:
    if isinstance(entity, types.User):
        return "bot" if entity.bot else "user"
    if isinstance(entity, types.Channel):
        return "supergroup" if entity.megagroup else "channel"
    return "group"


def _rights(rights: Any) -> tuple[str, ...]:
    return tuple(name for name in ADMIN_RIGHTS if getattr(rights, name, False)) if rights else ()


def _entity(answer: Any, peer_id: int, kinds: tuple[type[Any], ...]) -> Any:
    pool = [*getattr(answer, "users", ()), *getattr(answer, "chats", ())]
    return next(e for e in pool if isinstance(e, kinds) and e.id == peer_id)


def _user_info(answer: Any) -> PeerInfo:
    full = answer.full_user
    user = _entity(answer, full.id, (types.User,))
    return PeerInfo(
        peer=canonical_peer_of(user),
        kind=_kind(user),
        title=display_name(user),  # for "me" too: the person, not the Saved Messages chat
        username=user.username or None,
        about=full.about or None,
        verified=bool(user.verified),
        scam=bool(user.scam),
        fake=bool(user.fake),
        contact=bool(user.contact),
        can_write=not user.deleted and not full.blocked,
    )


def _can_post(entity: Any) -> bool:
    """Whether this account may send in a group or channel it sees as ``entity``."""
    if isinstance(entity, types.Chat):
        if entity.left or entity.deactivated:
            return False
        banned = entity.default_banned_rights
        return bool(entity.creator or entity.admin_rights or not (banned and banned.send_messages))
    if not isinstance(entity, types.Channel) or entity.left:
        return False
    if entity.creator:
        return True
    if not entity.megagroup:
        return bool(entity.admin_rights and entity.admin_rights.post_messages)
    if entity.banned_rights and entity.banned_rights.send_messages:
        return False
    banned = entity.default_banned_rights
    return bool(entity.admin_rights or not (banned and banned.send_messages))


def _chat_info(answer: Any) -> PeerInfo:
    full = answer.full_chat
    is_channel = isinstance(full, types.ChannelFull)
    kinds = (types.Channel, types.ChannelForbidden) if is_channel else (types.Chat, types.ChatForbidden)
    chat = _entity(answer, full.id, kinds)
    if is_channel:
        members = full.participants_count
        linked = f"channel:{full.linked_chat_id}" if full.linked_chat_id else None
        slow = full.slowmode_seconds or None
    else:
        listed = getattr(full.participants, "participants", None)
        members = len(listed) if listed is not None else getattr(chat, "participants_count", None)
        linked, slow = None, None
    return PeerInfo(
        peer=canonical_peer_of(chat),
        kind=_kind(chat),
        title=chat_title(chat),
        username=getattr(chat, "username", None) or None,
        about=full.about or None,
        members=members,
        verified=bool(getattr(chat, "verified", False)),
        scam=bool(getattr(chat, "scam", False)),
        fake=bool(getattr(chat, "fake", False)),
        can_write=_can_post(chat),
        slow_mode_seconds=slow,
        creator=bool(getattr(chat, "creator", False)),
        admin_rights=_rights(getattr(chat, "admin_rights", None)),
        linked_chat=linked,
    )


async def fetch_peer_info(client: Any, ref: PeerRef) -> PeerInfo:
    """Full info for ``ref``: one ``getFullUser``/``getFullChannel``/``getFullChat``."""

    async def info(input_peer: Any) -> PeerInfo:
        if isinstance(input_peer, types.InputPeerChannel):
            channel = types.InputChannel(input_peer.channel_id, input_peer.access_hash)
            return _chat_info(await client(functions.channels.GetFullChannelRequest(channel=channel)))
        if isinstance(input_peer, types.InputPeerChat):
            return _chat_info(await client(functions.messages.GetFullChatRequest(chat_id=input_peer.chat_id)))
        if isinstance(input_peer, types.InputPeerSelf):
            user: Any = types.InputUserSelf()
        else:
            user = types.InputUser(input_peer.user_id, input_peer.access_hash)
        return _user_info(await client(functions.users.GetFullUserRequest(id=user)))

    return await with_peer(client, ref, info)


def _match(entity: Any, yours: bool) -> PeerMatch:
    if isinstance(entity, types.User):
        contact = bool(entity.contact) and not entity.is_self
        return PeerMatch(
            peer=canonical_peer_of(entity),
            kind=_kind(entity),
            title=display_name(entity),
            username=entity.username or None,
            yours=yours,
            contact=contact,
            phone=f"+{entity.phone}" if contact and entity.phone else None,
            scam=bool(entity.scam),
        )
    return PeerMatch(
        peer=canonical_peer_of(entity),
        kind=_kind(entity),
        title=chat_title(entity),
        username=getattr(entity, "username", None) or None,
        yours=yours,
        scam=bool(getattr(entity, "scam", False)),
    )


async def search_peers(client: Any, query: str, limit: int) -> list[PeerMatch]:
    """Contacts and chats of yours first, then public usernames: one ``contacts.search``."""
    answer = await client(functions.contacts.SearchRequest(q=query, limit=limit))
    by_peer = {canonical_peer_of(e): e for e in [*answer.users, *answer.chats]}
    found: list[PeerMatch] = []
    for yours, peers in ((True, answer.my_results), (False, answer.results)):
        for peer in peers:
            entity = by_peer.get(canonical_peer_of(peer))
            if entity is not None and not isinstance(entity, (types.ChatForbidden, types.ChannelForbidden)):
                found.append(_match(entity, yours))
    return found[:limit]
