"""Every Telegram error the project knows of becomes an ``mctltg`` error, built the way Telethon builds it.

Telethon turns an ``rpc_error`` answer into an exception class by its code; these tests
do the same (``telethon.errors.rpc_message_to_error``) for each code the product names
(the actionable sentences, dead sessions, stale peers, flood waits, and the errors the
sandbox Telegram answers with), so a code Telethon maps to a surprising class, or one
the map forgot, fails here rather than reaching a tool as a raw exception.
"""

from __future__ import annotations

import pytest
from telethon.errors import rpc_message_to_error
from telethon.tl import functions, types

from mctltg.errors import FloodWait, PeerInvalid, SessionDead, TelegramRpcError, TelegramUnavailable
from mctltg.telegram.error_map import ACTIONABLE, translate

REQUEST = functions.messages.GetHistoryRequest(
    peer=types.InputPeerSelf(),
    offset_id=0,
    offset_date=None,
    add_offset=0,
    limit=1,
    max_id=0,
    min_id=0,
    hash=0,
)

DEAD = (
    "AUTH_KEY_UNREGISTERED",
    "AUTH_KEY_DUPLICATED",
    "SESSION_REVOKED",
    "SESSION_EXPIRED",
    "USER_DEACTIVATED",
)
STALE_PEER = ("PEER_ID_INVALID", "CHANNEL_INVALID", "CHAT_ID_INVALID", "USER_ID_INVALID")
#: What the sandbox answers besides the above (login errors are handled by the login steps).
SANDBOX_ONLY = ("METHOD_NOT_IMPLEMENTED_IN_SANDBOX",)


def _raised(code: int, message: str) -> BaseException:
    return rpc_message_to_error(types.RpcError(error_code=code, error_message=message), REQUEST)


@pytest.mark.parametrize("message", sorted(ACTIONABLE))
def test_an_actionable_error_keeps_its_code_and_says_what_to_do(message: str) -> None:
    mapped = translate(_raised(400, message), operation="get_messages")
    assert isinstance(mapped, TelegramRpcError)
    assert mapped.code == message
    assert str(mapped) == ACTIONABLE[message]


@pytest.mark.parametrize("message", DEAD)
def test_a_dead_session_error_ends_the_session(message: str) -> None:
    assert isinstance(translate(_raised(401, message), operation="get_messages"), SessionDead)


@pytest.mark.parametrize("message", STALE_PEER)
def test_a_stale_peer_error_names_the_peer(message: str) -> None:
    mapped = translate(_raised(400, message), operation="get_messages", peer="user:5")
    assert isinstance(mapped, PeerInvalid)
    assert "user:5" in str(mapped)


def test_a_flood_wait_says_how_long() -> None:
    mapped = translate(_raised(420, "FLOOD_WAIT_17"), operation="get_messages")
    assert isinstance(mapped, FloodWait)
    assert mapped.retry_after_seconds == 17


@pytest.mark.parametrize("message", SANDBOX_ONLY)
def test_an_unknown_error_keeps_telegrams_code(message: str) -> None:
    mapped = translate(_raised(400, message), operation="get_messages")
    assert isinstance(mapped, TelegramRpcError)
    assert mapped.code == message


def test_a_dropped_connection_is_unavailable() -> None:
    assert isinstance(translate(ConnectionError("reset"), operation="get_messages"), TelegramUnavailable)


def test_anything_else_is_left_to_the_caller() -> None:
    assert translate(KeyError("x"), operation="get_messages") is None
