"""JWT access tokens (RFC 9068): our key, issuer, audience and the at+jwt type, or nothing."""

from __future__ import annotations

import pytest

from mctltg.oauth.rfc9068 import AccessClaims, AccessTokenCodec

MCP = "https://tg.example.com/mcp"


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
