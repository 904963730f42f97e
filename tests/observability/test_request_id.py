"""Request ids: minted ids are unguessable-looking letters a log scrub leaves alone."""

from __future__ import annotations

from mctltg.observability.redact import scrub
from mctltg.observability.request_id import request_id_from


def test_minted_ids_are_sixteen_plain_letters_and_never_repeat() -> None:
    minted = [request_id_from(None) for _ in range(2000)]
    assert len(set(minted)) == len(minted)
    assert all(len(rid) == 16 and rid.isalpha() and rid.islower() for rid in minted)
    assert all(scrub(rid) == rid for rid in minted)
    assert set("".join(minted)) == set("abcdefghijkmnpqrstuvwxyz")  # every letter is drawn, l and o never


def test_a_proxy_id_with_a_phone_like_digit_run_is_replaced() -> None:
    assert request_id_from(b"edge-0123abcd") == "edge-0123abcd"
    assert request_id_from("call-14155550123") != "call-14155550123"
