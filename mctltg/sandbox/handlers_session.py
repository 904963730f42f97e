"""Connection-level requests: config, update state and differences, authorizations, log out.

``updates.getDifference`` and ``updates.getChannelDifference`` replay the per-account and
per-channel logs, so an update lost on the way (or never pushed) still reaches Telethon.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from mctltg.sandbox.dispatch import Call, Route
from mctltg.sandbox.peers import resolve_channel
from mctltg.sandbox.render import SANDBOX_DC_ID, entities
from mctltg.sandbox.state import LogEntry, PeerKey
from mctltg.sandbox.tl import build, to_datetime
from mctltg.sandbox.views import ordered_dialogs, unread_count

__all__ = ["ROUTES", "SANDBOX_DC_ADDRESS", "state_tl"]

SANDBOX_DC_ADDRESS = "149.154.167.51"  # Telethon's default DC 2 address; never dialled


def get_config(call: Call, request: Any) -> Any:
    return build(
        types.Config,
        date=to_datetime(call.now),
        expires=to_datetime(call.now + 3600),
        test_mode=False,
        this_dc=SANDBOX_DC_ID,
        dc_options=[build(types.DcOption, id=SANDBOX_DC_ID, ip_address=SANDBOX_DC_ADDRESS, port=443)],
        dc_txt_domain_name="sandbox.invalid",
        chat_size_max=200,
        megagroup_size_max=200_000,
        forwarded_count_max=100,
        online_update_period_ms=210_000,
        offline_blur_timeout_ms=5_000,
        offline_idle_timeout_ms=30_000,
        online_cloud_timeout_ms=300_000,
        notify_cloud_delay_ms=30_000,
        notify_default_delay_ms=1_500,
        push_chat_period_ms=60_000,
        push_chat_limit=2,
        edit_time_limit=172_800,
        revoke_time_limit=2**31 - 1,
        revoke_pm_time_limit=2**31 - 1,
        rating_e_decay=2_419_200,
        stickers_recent_limit=200,
        channels_read_media_period=604_800,
        call_receive_timeout_ms=20_000,
        call_ring_timeout_ms=90_000,
        call_connect_timeout_ms=30_000,
        call_packet_timeout_ms=10_000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=SANDBOX_DC_ID,
    )


def state_tl(call: Call) -> Any:
    me = call.me
    unread = sum(
        unread_count(call.state, me, peer, messages) for peer, messages in ordered_dialogs(call.state, me)
    )
    pts = call.state.accounts[me].pts
    return build(types.updates.State, pts=pts, qts=0, date=to_datetime(call.now), seq=0, unread_count=unread)


def get_state(call: Call, request: Any) -> Any:
    return state_tl(call)


def _split(
    call: Call, viewer: int, entries: list[LogEntry]
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    new_messages: list[Any] = []
    others: list[Any] = []
    peers: list[PeerKey] = []
    for entry in entries:
        update = entry.make(viewer)
        peers.extend(entry.peers)
        if isinstance(update, types.UpdateNewMessage | types.UpdateNewChannelMessage):
            new_messages.append(update.message)
        else:
            others.append(update)
    users, chats = entities(call.state, viewer, [PeerKey("user", viewer), *peers])
    return new_messages, others, users, chats


def get_difference(call: Call, request: Any) -> Any:
    account = call.state.accounts[call.me]
    if request.pts == account.pts:
        return build(types.updates.DifferenceEmpty, date=to_datetime(call.now), seq=0)
    if request.pts > account.pts:  # a state from another world: make the client adopt ours
        return build(types.updates.DifferenceTooLong, pts=account.pts)
    entries = [e for e in account.log if e.pts > request.pts]
    if not entries or entries[0].pts - entries[0].pts_count > request.pts:
        return build(types.updates.DifferenceTooLong, pts=account.pts)
    new_messages, others, users, chats = _split(call, call.me, entries)
    return build(
        types.updates.Difference,
        new_messages=new_messages,
        new_encrypted_messages=[],
        other_updates=others,
        chats=chats,
        users=users,
        state=state_tl(call),
    )


def get_channel_difference(call: Call, request: Any) -> Any:
    channel = call.state.channels[resolve_channel(call.state, call.me, request.channel)]
    if request.pts >= channel.pts:
        return build(types.updates.ChannelDifferenceEmpty, final=True, pts=channel.pts, timeout=30)
    entries = [e for e in channel.log if e.pts > request.pts]
    new_messages, others, users, chats = _split(call, call.me, entries)
    return build(
        types.updates.ChannelDifference,
        final=True,
        pts=channel.pts,
        timeout=30,
        new_messages=new_messages,
        other_updates=others,
        chats=chats,
        users=users,
    )


def get_authorizations(call: Call, request: Any) -> Any:
    me = call.me
    rows = []
    for key in call.state.keys.values():
        if key.user_id != me:
            continue
        current = key is call.key
        rows.append(
            build(
                types.Authorization,
                current=current,
                hash=0 if current else (key.key_id >> 1) or 1,
                device_model=key.device_model,
                platform="",
                system_version=key.system_version,
                api_id=key.api_id,
                app_name="Sandbox client",
                app_version=key.app_version,
                date_created=to_datetime(key.created),
                date_active=to_datetime(key.active),
                ip="127.0.0.1",
                country="Sandbox",
                region="",
            )
        )
    return build(types.account.Authorizations, authorization_ttl_days=180, authorizations=rows)


def log_out(call: Call, request: Any) -> Any:
    call.key.user_id = None
    call.key.pending_2fa_user = None
    return build(types.auth.LoggedOut)


ROUTES: tuple[Route, ...] = (
    Route(functions.help.GetConfigRequest, get_config, login=False),
    Route(functions.updates.GetStateRequest, get_state),
    Route(functions.updates.GetDifferenceRequest, get_difference),
    Route(functions.updates.GetChannelDifferenceRequest, get_channel_difference),
    Route(functions.account.GetAuthorizationsRequest, get_authorizations),
    Route(functions.auth.LogOutRequest, log_out),
)
