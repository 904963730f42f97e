"""The authorization request's own rules: redirect-URI matching, including RFC 8252's loopback ports."""

from __future__ import annotations

import pytest

from mctltg.oauth.errors import AuthorizeError
from mctltg.oauth.rfc6749 import match_redirect_uri

LOOPBACK = ("http://127.0.0.1/callback", "http://[::1]:5000/cb", "http://localhost:80/cb")


@pytest.mark.parametrize(
    ("requested", "registered"),
    [
        ("http://127.0.0.1:49152/callback", "http://127.0.0.1/callback"),
        ("http://127.0.0.1:8080/callback", "http://127.0.0.1/callback"),
        ("http://[::1]:61000/cb", "http://[::1]:5000/cb"),
        ("http://localhost:33418/cb", "http://localhost:80/cb"),
    ],
)
def test_a_loopback_redirect_uri_matches_on_any_port(requested: str, registered: str) -> None:
    assert match_redirect_uri(LOOPBACK, requested) == requested


@pytest.mark.parametrize(
    "requested",
    [
        "http://127.0.0.1:49152/other",  # the path must still match exactly
        "http://127.0.0.1:49152/callback?x=1",  # and the query
        "http://127.0.0.2:49152/callback",  # and the host
        "https://127.0.0.1:49152/callback",  # and the scheme
        "http://localhost.evil.example:80/cb",
    ],
)
def test_only_the_port_of_a_loopback_redirect_uri_may_differ(requested: str) -> None:
    with pytest.raises(AuthorizeError) as refused:
        match_redirect_uri(LOOPBACK, requested)
    assert refused.value.redirect is False


def test_a_non_loopback_redirect_uri_must_match_exactly_including_its_port() -> None:
    registered = ("https://claude.ai/api/mcp/auth_callback",)
    with pytest.raises(AuthorizeError):
        match_redirect_uri(registered, "https://claude.ai:8443/api/mcp/auth_callback")
    assert match_redirect_uri(registered, registered[0]) == registered[0]
