"""Bearer tokens (RFC 6750): the challenge header, and what counts as a bearer credential."""

from __future__ import annotations

from mctltg.oauth.rfc6750 import bearer_challenge, has_bearer


def test_bearer_challenges_carry_an_error_only_when_given() -> None:
    assert bearer_challenge(resource_metadata="https://x/m") == 'Bearer resource_metadata="https://x/m"'
    assert 'error="invalid_token"' in bearer_challenge(resource_metadata="https://x/m", error="invalid_token")
    assert has_bearer([(b"authorization", b"Bearer abc")])
    assert not has_bearer([(b"authorization", b"Basic abc")])
    assert not has_bearer([(b"authorization", b"Bearer ")])
