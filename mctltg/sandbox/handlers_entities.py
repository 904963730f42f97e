"""Entity requests: users, chats and channels by id or username, and their "full" info."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.peers import knows_user, resolve_channel, resolve_user
from mctltg.sandbox.render import entities, notify_settings_tl, peer_tl
from mctltg.sandbox.state import PeerKey
from mctltg.sandbox.tl import build, to_datetime
from mctltg.sandbox.views import dialog_tl, messages_in

__all__ = ["ROUTES"]


def get_users(call: Call, request: Any) -> Any:
    me = call.me
    found = [uid for uid in (resolve_user(call.state, me, u) for u in request.id) if uid is not None]
    return entities(call.state, me, [PeerKey("user", uid) for uid in found])[0]


def get_full_user(call: Call, request: Any) -> Any:
    me = call.me
    user_id = resolve_user(call.state, me, request.id)
    if user_id is None:
        raise RpcFault(400, "USER_ID_INVALID")
    peer = PeerKey("user", user_id)
    read_state = call.state.accounts[me].dialogs.get(peer)
    common = sum(1 for g in call.state.groups.values() if me in g.members and user_id in g.members) + sum(
        1 for c in call.state.channels.values() if c.megagroup and me in c.members and user_id in c.members
    )
    pinned = [m.id for m in messages_in(call.state, me, peer) if m.pinned]
    full = build(
        types.UserFull,
        id=user_id,
        settings=build(types.PeerSettings),
        notify_settings=notify_settings_tl(read_state),
        common_chats_count=common if user_id != me else 0,
        about=call.state.users[user_id].about,
        pinned_msg_id=pinned[-1] if pinned else None,
    )
    users, chats = entities(call.state, me, [peer])
    return build(types.users.UserFull, full_user=full, chats=chats, users=users)


def resolve_username(call: Call, request: Any) -> Any:
    me = call.me
    wanted = request.username.lstrip("@").lower()
    for user in call.state.users.values():
        if user.username and user.username.lower() == wanted:
            peer = PeerKey("user", user.id)
            break
    else:
        for channel in call.state.channels.values():
            if channel.username and channel.username.lower() == wanted:
                peer = PeerKey("channel", channel.id)
                break
        else:
            raise RpcFault(400, "USERNAME_NOT_OCCUPIED")
    users, chats = entities(call.state, me, [peer])
    return build(types.contacts.ResolvedPeer, peer=peer_tl(peer), chats=chats, users=users)


def get_channels(call: Call, request: Any) -> Any:
    me = call.me
    ids = [resolve_channel(call.state, me, c) for c in request.id]
    return build(
        types.messages.Chats, chats=entities(call.state, me, [PeerKey("channel", i) for i in ids])[1]
    )


def get_chats(call: Call, request: Any) -> Any:
    me = call.me
    ids = [i for i in request.id if i in call.state.groups]
    return build(types.messages.Chats, chats=entities(call.state, me, [PeerKey("chat", i) for i in ids])[1])


def get_full_channel(call: Call, request: Any) -> Any:
    me = call.me
    channel = call.state.channels[resolve_channel(call.state, me, request.channel)]
    peer = PeerKey("channel", channel.id)
    messages = messages_in(call.state, me, peer)
    dialog = dialog_tl(call.state, me, peer, messages)
    pinned = [m.id for m in messages if m.pinned]
    full = build(
        types.ChannelFull,
        id=channel.id,
        about=channel.about,
        read_inbox_max_id=dialog.read_inbox_max_id,
        read_outbox_max_id=dialog.read_outbox_max_id,
        unread_count=dialog.unread_count,
        chat_photo=build(types.PhotoEmpty, id=0),
        notify_settings=dialog.notify_settings,
        bot_info=[],
        pts=channel.pts,
        participants_count=len(channel.members),
        can_view_participants=channel.megagroup,
        pinned_msg_id=pinned[-1] if pinned else None,
        slowmode_seconds=channel.slowmode_seconds or None,
        linked_chat_id=channel.linked_chat,
    )
    linked = [PeerKey("channel", channel.linked_chat)] if channel.linked_chat else []
    users, chats = entities(call.state, me, [peer, *linked])
    return build(types.messages.ChatFull, full_chat=full, chats=chats, users=users)


def get_full_chat(call: Call, request: Any) -> Any:
    me = call.me
    group = call.state.groups.get(request.chat_id)
    if group is None or me not in group.members:
        raise RpcFault(400, "CHAT_ID_INVALID")
    participants: list[Any] = [
        build(types.ChatParticipantCreator, user_id=uid)
        if uid == group.creator
        else build(types.ChatParticipant, user_id=uid, inviter_id=group.creator, date=to_datetime(group.date))
        for uid in group.members
    ]
    peer = PeerKey("chat", group.id)
    pinned = [m.id for m in messages_in(call.state, me, peer) if m.pinned]
    full = build(
        types.ChatFull,
        id=group.id,
        about="",
        participants=build(types.ChatParticipants, chat_id=group.id, participants=participants, version=1),
        notify_settings=notify_settings_tl(call.state.accounts[me].dialogs.get(peer)),
        pinned_msg_id=pinned[-1] if pinned else None,
    )
    users, chats = entities(call.state, me, [peer, *(PeerKey("user", uid) for uid in group.members)])
    return build(types.messages.ChatFull, full_chat=full, chats=chats, users=users)


def get_contacts(call: Call, request: Any) -> Any:
    me = call.me
    ids = sorted(uid for uid in call.state.accounts[me].contacts if knows_user(call.state, me, uid))
    mutual = {uid: me in call.state.accounts[uid].contacts for uid in ids}
    contacts = [build(types.Contact, user_id=uid, mutual=mutual[uid]) for uid in ids]
    users = entities(call.state, me, [PeerKey("user", uid) for uid in ids])[0]
    return build(types.contacts.Contacts, contacts=contacts, saved_count=0, users=users)


ROUTES: tuple[Route, ...] = (
    Route(functions.users.GetUsersRequest, get_users),
    Route(functions.users.GetFullUserRequest, get_full_user),
    Route(functions.contacts.ResolveUsernameRequest, resolve_username),
    Route(functions.channels.GetChannelsRequest, get_channels),
    Route(functions.messages.GetChatsRequest, get_chats),
    Route(functions.channels.GetFullChannelRequest, get_full_channel),
    Route(functions.messages.GetFullChatRequest, get_full_chat),
    Route(functions.contacts.GetContactsRequest, get_contacts),
)
