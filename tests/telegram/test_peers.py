"""The peer syntax every tool accepts."""

from __future__ import annotations

import pytest

from mctltg.errors import InvalidInput
from mctltg.telegram.model import PeerRef
from mctltg.telegram.peers import PEER_FORMS, parse_peer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user:42", PeerRef(kind="user", id=42)),
        ("chat:7", PeerRef(kind="chat", id=7)),
        (" channel:1234567890 ", PeerRef(kind="channel", id=1234567890)),
        ("@Ada_Lovelace", PeerRef(kind="username", username="ada_lovelace")),
        ("me", PeerRef(kind="self")),
        ("Saved", PeerRef(kind="self")),
    ],
)
def test_each_documented_form_parses(text: str, expected: PeerRef) -> None:
    assert parse_peer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "user:",
        "user:-5",
        "user:0",
        "group:5",
        "42",
        "@ab",
        "@1abc",
        "user:12a",
        "",
        "https://t.me/x",
        "user:99999999999999999999",
    ],
)
def test_anything_else_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_peer(text)
    assert PEER_FORMS in str(caught.value)
    assert caught.value.field == "peer"


def test_a_non_string_peer_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_peer(42)


def test_canonical_peers_print_back_as_given() -> None:
    for text in ("user:1", "chat:2", "channel:3", "@someone", "me"):
        assert str(parse_peer(text)) == text
