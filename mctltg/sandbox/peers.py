"""Resolve the ``Input*`` peers of a request to world peers, checking access hashes.

Users: the right access hash always works; a zero hash works for users the caller already
knows (a shared chat or a contact), as Telegram tolerates. Channels need the right hash.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import types

from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.render import access_hash
from mctltg.sandbox.state import SERVICE_USER_ID, PeerKey, WorldState

__all__ = ["knows_user", "resolve_channel", "resolve_peer", "resolve_user"]


def knows_user(state: WorldState, viewer: int, user_id: int) -> bool:
    if user_id in (viewer, SERVICE_USER_ID):
        return True
    account = state.accounts[viewer]
    if user_id in account.contacts or account.box.by_peer.get(PeerKey("user", user_id)):
        return True
    if any(viewer in g.members and user_id in g.members for g in state.groups.values()):
        return True
    return any(viewer in c.members and user_id in c.members for c in state.channels.values())


def _user_ok(state: WorldState, viewer: int, user_id: int, hash_: int) -> bool:
    if user_id not in state.users:
        return False
    if hash_ == 0:
        return knows_user(state, viewer, user_id)
    return hash_ == access_hash(state, viewer, "user", user_id)


def _channel_ok(state: WorldState, viewer: int, channel_id: int, hash_: int) -> bool:
    return channel_id in state.channels and hash_ == access_hash(state, viewer, "channel", channel_id)


def resolve_user(state: WorldState, viewer: int, input_user: Any) -> int | None:
    """The user id of an ``InputUser*``, or ``None`` if the caller cannot address it."""
    if isinstance(input_user, types.InputUserSelf | types.InputPeerSelf):
        return viewer
    if isinstance(input_user, types.InputUser | types.InputPeerUser):
        if _user_ok(state, viewer, input_user.user_id, input_user.access_hash):
            return int(input_user.user_id)
        return None
    if isinstance(input_user, types.InputUserFromMessage | types.InputPeerUserFromMessage):
        return int(input_user.user_id) if input_user.user_id in state.users else None
    return None


def resolve_channel(state: WorldState, viewer: int, input_channel: Any) -> int:
    """The channel id of an ``InputChannel`` / ``InputPeerChannel``.

    Raises:
        RpcFault: 400 ``CHANNEL_INVALID`` for an unknown channel or a wrong access hash.
    """
    if isinstance(input_channel, types.InputChannel | types.InputPeerChannel) and _channel_ok(
        state, viewer, input_channel.channel_id, input_channel.access_hash
    ):
        return int(input_channel.channel_id)
    raise RpcFault(400, "CHANNEL_INVALID")


def resolve_peer(state: WorldState, viewer: int, input_peer: Any) -> PeerKey:
    """The world peer of an ``InputPeer*`` (``InputDialogPeer`` is unwrapped).

    Raises:
        RpcFault: ``PEER_ID_INVALID``, ``CHANNEL_INVALID`` or ``CHAT_ID_INVALID``.
    """
    if isinstance(input_peer, types.InputDialogPeer):
        input_peer = input_peer.peer
    if isinstance(input_peer, types.InputPeerChannel | types.InputChannel):
        return PeerKey("channel", resolve_channel(state, viewer, input_peer))
    if isinstance(input_peer, types.InputPeerChat):
        group = state.groups.get(input_peer.chat_id)
        if group is None or viewer not in group.members:
            raise RpcFault(400, "CHAT_ID_INVALID")
        return PeerKey("chat", group.id)
    user_id = resolve_user(state, viewer, input_peer)
    if user_id is None:
        raise RpcFault(400, "PEER_ID_INVALID")
    return PeerKey("user", user_id)
