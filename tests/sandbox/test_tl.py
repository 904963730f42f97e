"""The layer-tolerant TL factory and the wire-format round trip."""

from __future__ import annotations

import pytest
from telethon import functions, types

from mctltg.sandbox.tl import build, decode_answer, encode_answer, request_name, roundtrip_request


def test_build_zero_fills_required_numbers_and_lists_this_layer_added() -> None:
    dialog = build(
        types.Dialog,
        peer=types.PeerUser(1),
        top_message=5,
        read_inbox_max_id=0,
        read_outbox_max_id=0,
        unread_count=2,
        unread_mentions_count=0,
        unread_reactions_count=0,
        notify_settings=types.PeerNotifySettings(),
    )  # no unread_poll_votes_count: layer 229 requires it, layer 199 lacks it
    assert dialog.unread_count == 2
    assert getattr(dialog, "unread_poll_votes_count", 0) == 0
    messages = build(types.messages.Messages, messages=[], chats=[], users=[])
    assert getattr(messages, "topics", []) == []


def test_build_drops_arguments_the_installed_layer_does_not_know() -> None:
    user = build(types.User, id=7, first_name="Ada", field_from_a_future_layer=True)
    assert (user.id, user.first_name) == (7, "Ada")


def test_build_refuses_to_invent_a_required_tl_object() -> None:
    with pytest.raises(TypeError, match="photo"):
        build(types.Chat, id=1, title="x", participants_count=1, date=None, version=1)


def test_bool_answers_read_back_as_python_bools() -> None:
    request = functions.channels.ReadHistoryRequest(types.InputChannel(1, 2), 0)
    assert decode_answer(request, True) is True
    assert decode_answer(request, False) is False


def test_vectors_of_longs_pass_through_unchanged() -> None:
    answer = [1, 2, 3]
    assert encode_answer(answer) is None
    assert (
        decode_answer(functions.messages.GetMessagesViewsRequest(types.InputPeerSelf(), [1], False), answer)
        is answer
    )


def test_requests_are_copied_and_named_by_namespace() -> None:
    request = functions.messages.ReadHistoryRequest(types.InputPeerSelf(), 3)
    copy = roundtrip_request(request)
    assert copy is not request
    assert copy.max_id == 3
    assert request_name(copy) == "messages.ReadHistoryRequest"
    assert request_name(functions.channels.ReadHistoryRequest(types.InputChannel(1, 2), 0)) == (
        "channels.ReadHistoryRequest"
    )
    assert request_name(functions.PingRequest(1)) == "PingRequest"
