"""Dynamic client registration: what real clients send is accepted, unsafe redirect URIs are not."""

from __future__ import annotations

import json

import pytest

from mctltg.oauth.errors import OAuthError
from mctltg.oauth.rfc7591 import MAX_REDIRECT_URIS, check_redirect_uri, parse_registration


def _body(**fields: object) -> bytes:
    return json.dumps({"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"], **fields}).encode()


def test_a_claude_style_registration_is_accepted_with_refresh_always_allowed() -> None:
    metadata = parse_registration(
        _body(
            client_name="Claude",
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method="none",
            scope="telegram:dialogs:read openid",
        )
    )
    assert metadata.client_name == "Claude"
    assert metadata.grant_types == ("authorization_code", "refresh_token")
    assert metadata.scope == "telegram:dialogs:read"


def test_grant_types_without_refresh_token_are_accepted() -> None:
    assert (
        parse_registration(_body(grant_types=["authorization_code"])).grant_types[0] == "authorization_code"
    )


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:33418/callback",
        "http://localhost:6274/oauth/callback",
        "http://[::1]:8080/cb",
        "https://chatgpt.com/connector_platform_oauth_redirect",
    ],
)
def test_https_and_loopback_http_redirect_uris_are_accepted(uri: str) -> None:
    assert check_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "http://example.com/cb",
        "myapp://callback",
        "javascript:alert(1)",
        "https://user:pass@example.com/cb",
        "https://example.com\\@evil.com/cb",
        "https://example.com/cb#frag",
        "https://exa mple.com/cb",
        "https:///nohost",
    ],
)
def test_unsafe_redirect_uris_are_refused(uri: str) -> None:
    with pytest.raises(OAuthError) as caught:
        check_redirect_uri(uri)
    assert caught.value.error == "invalid_redirect_uri"


def test_the_host_allowlist_limits_https_hosts_but_not_loopback() -> None:
    allowed = frozenset({"claude.ai"})
    check_redirect_uri("https://claude.ai/cb", allowed_hosts=allowed)
    check_redirect_uri("http://127.0.0.1:9/cb", allowed_hosts=allowed)
    with pytest.raises(OAuthError):
        check_redirect_uri("https://chatgpt.com/cb", allowed_hosts=allowed)


def test_too_many_redirect_uris_are_refused() -> None:
    uris = [f"https://example.com/{n}" for n in range(MAX_REDIRECT_URIS + 1)]
    with pytest.raises(OAuthError):
        parse_registration(json.dumps({"redirect_uris": uris}).encode())


def test_an_oversized_body_is_refused_with_413() -> None:
    with pytest.raises(OAuthError) as caught:
        parse_registration(_body(client_name="x" * 20_000))
    assert caught.value.status == 413


@pytest.mark.parametrize("raw", [b"[]", b"not json", b'{"redirect_uris": []}', b'{"redirect_uris": "x"}'])
def test_malformed_registrations_are_refused(raw: bytes) -> None:
    with pytest.raises(OAuthError):
        parse_registration(raw)


def test_a_client_name_loses_control_characters_and_is_bounded() -> None:
    assert parse_registration(_body(client_name="A\u202e\x00B" + "c" * 500)).client_name == "AB" + "c" * 98


def test_a_deeply_nested_registration_body_is_refused_with_400_not_a_crash() -> None:
    deep = b'{"redirect_uris": ' + b"[" * 8000 + b"]" * 8000 + b"}"
    with pytest.raises(OAuthError) as refused:
        parse_registration(deep)
    assert refused.value.status == 400
    assert refused.value.error == "invalid_client_metadata"
    assert "nested" in refused.value.description


def test_registration_metadata_is_capped_in_count_and_length() -> None:
    with pytest.raises(OAuthError, match="At most 5 redirect URIs"):
        parse_registration(_body(redirect_uris=[f"https://example.com/{n}" for n in range(6)]))
    with pytest.raises(OAuthError, match="at most 512 characters"):
        parse_registration(_body(redirect_uris=["https://example.com/" + "a" * 500]))
    named = parse_registration(_body(client_name="N" * 5000))
    assert named.client_name == "N" * 100
