"""Who may post where, read from Telegram's own answers (rights the sandbox world does not model).

The client here stands in for Telegram at the boundary: it answers the one full-info
request with the TL objects Telegram sends for a group whose default rights forbid
sending, as seen by a plain member and by an admin.
"""

from __future__ import annotations

from typing import Any

import trio
from telethon.tl import functions, types

from mctltg.telegram.model import PeerRef
from mctltg.telegram.on_loop.people import fetch_peer_info

CHANNEL = 77
MUTED = types.ChatBannedRights(until_date=None, send_messages=True)


class _Session:
    def cached_input_peer(self, marked_id: int) -> Any:
        return types.InputPeerChannel(CHANNEL, 1234)


class _Telegram:
    """Answers ``channels.getFullChannel`` with ``channel`` as the account sees it."""

    def __init__(self, channel: types.Channel) -> None:
        self.session = _Session()
        self.channel = channel
        self.requests: list[Any] = []

    async def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        assert isinstance(request, functions.channels.GetFullChannelRequest)
        full = types.ChannelFull(
            id=CHANNEL,
            about="",
            read_inbox_max_id=0,
            read_outbox_max_id=0,
            unread_count=0,
            chat_photo=types.PhotoEmpty(id=0),
            notify_settings=types.PeerNotifySettings(),
            bot_info=[],
            pts=1,
            participants_count=12,
        )
        return types.messages.ChatFull(full_chat=full, chats=[self.channel], users=[])


def _supergroup(**rights: Any) -> types.Channel:
    return types.Channel(
        id=CHANNEL,
        title="Announcements only",
        photo=types.ChatPhotoEmpty(),
        date=None,
        megagroup=True,
        access_hash=1234,
        default_banned_rights=MUTED,
        **rights,
    )


def _info(channel: types.Channel) -> Any:
    async def fetch() -> Any:
        return await fetch_peer_info(_Telegram(channel), PeerRef(kind="channel", id=CHANNEL))

    return trio.run(fetch)


def test_a_member_of_a_supergroup_where_members_may_not_send_cannot_write() -> None:
    info = _info(_supergroup())
    assert info.can_write is False
    assert info.admin_rights == ()
    assert info.members == 12


def test_an_admin_of_that_supergroup_can_write_and_sees_their_rights() -> None:
    admin = types.ChatAdminRights(delete_messages=True, pin_messages=True)
    info = _info(_supergroup(admin_rights=admin))
    assert info.can_write is True
    assert info.admin_rights == ("delete_messages", "pin_messages")


def test_a_member_banned_from_sending_cannot_write_even_where_others_may() -> None:
    channel = _supergroup(banned_rights=MUTED)
    channel.default_banned_rights = None
    assert _info(channel).can_write is False
