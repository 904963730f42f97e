"""The small RFC modules: PKCE, resource indicators, scopes, tiers, bearer challenges, JWT access tokens."""

from __future__ import annotations

import pytest

from mctltg.oauth.errors import AuthorizeError, OAuthError
from mctltg.oauth.rfc6750 import bearer_challenge, has_bearer
from mctltg.oauth.rfc7636 import check_challenge, s256, verify
from mctltg.oauth.rfc8707 import canonical_resource, resolve_resource
from mctltg.oauth.rfc9068 import AccessClaims, AccessTokenCodec
from mctltg.oauth.rfc9728 import metadata_paths, metadata_url
from mctltg.oauth.scopes import SCOPES, format_scope, parse_scope
from mctltg.oauth.tiers import CLIENT_SCOPES, Tier, TierPolicy

MCP = "https://tg.example.com/mcp"


def test_s256_matches_the_rfc_7636_appendix_b_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not verify("x" * 43, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not verify("short", s256("short"))


@pytest.mark.parametrize(
    ("challenge", "method"), [(None, "S256"), ("E" * 43, "plain"), ("E" * 43, None), ("too-short", "S256")]
)
def test_pkce_parameters_other_than_a_s256_challenge_are_refused(
    challenge: str | None, method: str | None
) -> None:
    with pytest.raises(AuthorizeError):
        check_challenge(challenge, method)


def test_resources_compare_in_canonical_form() -> None:
    assert canonical_resource("HTTPS://TG.example.com:443/mcp/") == MCP
    assert resolve_resource([], MCP) == MCP
    assert resolve_resource(["https://tg.example.com/mcp/"], MCP) == MCP
    for bad in (["https://other.example/mcp"], [MCP, MCP], ["https://tg.example.com/mcp#x"]):
        with pytest.raises(OAuthError) as caught:
            resolve_resource(bad, MCP)
        assert caught.value.error == "invalid_target"


def test_protected_resource_metadata_lives_under_the_resource_path() -> None:
    assert metadata_url(MCP) == "https://tg.example.com/.well-known/oauth-protected-resource/mcp"
    assert metadata_paths(MCP) == (
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    )


def test_unknown_scopes_are_dropped_and_order_is_stable() -> None:
    assert parse_scope("offline_access telegram:messages:read telegram:dialogs:read") == {
        "telegram:dialogs:read",
        "telegram:messages:read",
    }
    assert parse_scope("openid") is None
    assert parse_scope(None) is None
    assert format_scope({"admin:users", "telegram:dialogs:read"}) == "telegram:dialogs:read admin:users"


def test_tiers_follow_settings_then_admin_decisions() -> None:
    policy = TierPolicy(admins=frozenset({1}), clients=frozenset({2}))
    assert policy.access(1).scopes == frozenset(SCOPES)
    assert policy.access(1, granted_tier="none").tier is Tier.ADMIN
    assert policy.access(2).scopes == CLIENT_SCOPES
    assert policy.access(2, granted_tier="none").scopes == frozenset()
    assert policy.access(3).tier is Tier.NONE
    assert policy.access(3).message is not None
    assert policy.access(3, granted_tier="client").scopes == CLIENT_SCOPES
    assert policy.access(3, granted_scopes=frozenset({"telegram:dialogs:read"})).scopes == {
        "telegram:dialogs:read"
    }
    assert TierPolicy(auto_approve=True).access(9).tier is Tier.CLIENT


def test_bearer_challenges_carry_an_error_only_when_given() -> None:
    assert bearer_challenge(resource_metadata="https://x/m") == 'Bearer resource_metadata="https://x/m"'
    assert 'error="invalid_token"' in bearer_challenge(resource_metadata="https://x/m", error="invalid_token")
    assert has_bearer([(b"authorization", b"Bearer abc")])
    assert not has_bearer([(b"authorization", b"Basic abc")])
    assert not has_bearer([(b"authorization", b"Bearer ")])


def test_access_tokens_need_our_key_issuer_audience_and_hs256() -> None:
    codec = AccessTokenCodec(b"k" * 32, issuer="https://tg.example.com")
    claims = AccessClaims(
        issuer="https://tg.example.com",
        subject="tg:1",
        audience=MCP,
        client_id="c",
        scopes=("telegram:dialogs:read",),
        issued_at=1000,
        expires_at=2_000_000_000,
        jti="j",
    )
    token = codec.mint(claims)
    assert codec.verify(token, audience=MCP) == claims
    assert codec.verify(token, audience="https://other/mcp") is None
    assert AccessTokenCodec(b"o" * 32, issuer="https://tg.example.com").verify(token, audience=MCP) is None
    assert AccessTokenCodec(b"k" * 32, issuer="https://evil").verify(token, audience=MCP) is None
    with pytest.raises(ValueError, match="32 bytes"):
        AccessTokenCodec(b"short", issuer="https://tg.example.com")


def _claims(**changes: object) -> AccessClaims:
    values: dict[str, object] = {
        "issuer": "https://tg.example.com",
        "subject": "tg:1",
        "audience": MCP,
        "client_id": "c",
        "scopes": ("telegram:dialogs:read",),
        "issued_at": 1000,
        "expires_at": 2_000_000_000,
        "jti": "j",
    }
    values.update(changes)
    return AccessClaims(**values)  # type: ignore[arg-type]


def test_an_access_token_without_the_at_jwt_type_is_refused() -> None:
    import jwt

    key = b"k" * 32
    codec = AccessTokenCodec(key, issuer="https://tg.example.com")
    payload = {
        "iss": "https://tg.example.com",
        "sub": "tg:1",
        "aud": MCP,
        "client_id": "c",
        "scope": "telegram:dialogs:read",
        "iat": 1000,
        "exp": 2_000_000_000,
        "jti": "j",
    }
    assert codec.verify(jwt.encode(payload, key, algorithm="HS256", headers={"typ": "at+jwt"}), audience=MCP)
    for typ in ("JWT", None, "at+jwt-ish"):  # None: no typ at all
        token = jwt.encode(payload, key, algorithm="HS256", headers={"typ": typ})
        assert codec.verify(token, audience=MCP) is None, typ


def test_an_access_token_issued_in_the_future_is_refused() -> None:
    codec = AccessTokenCodec(b"k" * 32, issuer="https://tg.example.com", leeway=30)
    now = 1_800_000_000.0
    assert codec.verify(codec.mint(_claims(issued_at=int(now) + 20)), audience=MCP, now=now) is not None
    assert codec.verify(codec.mint(_claims(issued_at=int(now) + 3600)), audience=MCP, now=now) is None
