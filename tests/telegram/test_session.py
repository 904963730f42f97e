"""The in-memory Telethon session and its sealable byte form."""

from __future__ import annotations

import datetime as dt
import os

from telethon.tl import types

from mctltg.telegram.session import SealedSession


def _user(user_id: int, access_hash: int, username: str | None = None) -> types.User:
    return types.User(id=user_id, access_hash=access_hash, first_name="Test", username=username)


def test_a_session_round_trips_key_dc_state_and_entities() -> None:
    key = os.urandom(256)
    session = SealedSession.with_auth_key(key, dc_id=2, address="127.0.0.1", port=443)
    session.process_entities(
        types.contacts.ResolvedPeer(peer=types.PeerUser(5), chats=[], users=[_user(5, 99, "bob")])
    )
    session.set_update_state(
        0,
        types.updates.State(
            pts=10, qts=1, date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), seq=3, unread_count=0
        ),
    )
    restored = SealedSession.from_bytes(session.to_bytes())
    assert restored.auth_key.key == key
    assert (restored.dc_id, restored.server_address, restored.port) == (2, "127.0.0.1", 443)
    assert restored.cached_input_peer(5) == types.InputPeerUser(5, 99)
    assert restored.get_update_state(0).pts == 10
    assert not restored.dirty


def test_a_zero_access_hash_never_replaces_a_good_one() -> None:
    session = SealedSession()
    session.process_entities([_user(5, 1234)])
    session.process_entities([types.User(id=5, access_hash=0, first_name="Min", min=True)])
    assert session.cached_input_peer(5) == types.InputPeerUser(5, 1234)


def test_learning_an_entity_marks_the_session_dirty_once() -> None:
    session = SealedSession()
    session.process_entities([_user(5, 1234)])
    assert session.dirty
    session.dirty = False
    session.process_entities([_user(5, 1234)])
    assert not session.dirty


def test_phone_numbers_are_not_kept() -> None:
    session = SealedSession()
    session.process_entities([types.User(id=5, access_hash=7, first_name="P", phone="15550001234")])
    assert b"15550001234" not in session.to_bytes()


def test_forgetting_an_entity_evicts_it() -> None:
    session = SealedSession()
    session.process_entities([_user(5, 1234)])
    session.forget_entity(5)
    assert session.cached_input_peer(5) is None
