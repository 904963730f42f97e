"""The upstream id_token check: signature against the JWKS, issuer, audience, nonce, skew, the id claim.

The provider's HTTP side is replaced by ``httpx2.MockTransport`` (the true boundary);
tokens are signed with pyjwt and cryptography, as a provider would sign them. The full
flow against a real loopback provider is in tests/e2e.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from mctltg.oauth.oidc import OidcClient, OidcConfig, OidcError, plain_name, telegram_user_id

ISSUER = "https://oauth.example"
NOW = 1_800_000_000


def _provider(
    keys: list[dict[str, Any]], *, counter: list[int] | None = None, id_token: str | None = None
) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx2.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": ISSUER + "/auth",
                    "token_endpoint": ISSUER + "/token",
                    "jwks_uri": ISSUER + "/jwks",
                },
            )
        if request.url.path == "/token" and id_token is not None:
            return httpx2.Response(
                200, json={"access_token": "a", "token_type": "Bearer", "id_token": id_token}
            )
        if request.url.path == "/jwks":
            if counter is not None:
                counter.append(1)
            return httpx2.Response(200, json={"keys": keys})
        return httpx2.Response(404)

    return httpx2.MockTransport(handler)


def _client(transport: httpx2.MockTransport) -> OidcClient:
    config = OidcConfig(issuer=ISSUER, client_id="bot-1", client_secret=b"s", redirect_uri="https://me/cb")
    return OidcClient(config, clock=lambda: NOW, transport=transport)


@dataclass(frozen=True)
class RSAKey:
    kid: str
    private: rsa.RSAPrivateKey


def _token(key: RSAKey, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
    payload = {
        "iss": ISSUER,
        "aud": "bot-1",
        "sub": "abc",
        "id": 42,
        "nonce": "n1",
        "iat": NOW,
        "exp": NOW + 300,
    }
    payload.update(claims)
    return jwt.encode(payload, key.private, algorithm="RS256", headers={"kid": key.kid, **(header or {})})


def _generate(kid: str) -> RSAKey:
    return RSAKey(kid=kid, private=rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def key() -> RSAKey:
    return _generate("k1")


def _public(key: RSAKey) -> dict[str, Any]:
    return {**RSAAlgorithm.to_jwk(key.private.public_key(), as_dict=True), "kid": key.kid}


async def test_a_valid_id_token_passes_and_keys_of_unknown_type_are_skipped(key: RSAKey) -> None:
    keys = [
        {"kty": "ML-DSA", "kid": "pq", "pub": "AAAA"},
        {"kty": "oct", "k": "c2VjcmV0", "use": "enc"},
        _public(key),
    ]
    claims = await _client(_provider(keys)).verify_id_token(_token(key), nonce="n1")
    assert telegram_user_id(claims) == 42


async def test_a_string_id_claim_is_accepted() -> None:
    assert telegram_user_id({"id": "123456", "sub": "opaque"}) == 123456
    assert telegram_user_id({"sub": "987"}) == 987
    assert telegram_user_id({"id": True, "sub": "x"}) is None


async def test_two_minutes_of_clock_skew_are_allowed_and_no_more(key: RSAKey) -> None:
    client = _client(_provider([_public(key)]))
    await client.verify_id_token(_token(key, exp=NOW - 100, iat=NOW - 400), nonce="n1")
    await client.verify_id_token(_token(key, iat=NOW + 100), nonce="n1")
    with pytest.raises(OidcError):
        await client.verify_id_token(_token(key, exp=NOW - 200, iat=NOW - 500), nonce="n1")


@pytest.mark.parametrize(
    ("claim", "value"), [("nonce", "other"), ("aud", "another-bot"), ("iss", "https://evil")]
)
async def test_a_mismatched_claim_is_refused(key: RSAKey, claim: str, value: str) -> None:
    with pytest.raises(OidcError):
        await _client(_provider([_public(key)])).verify_id_token(_token(key, **{claim: value}), nonce="n1")


async def test_a_token_signed_by_an_unknown_key_refetches_the_jwks_once_then_fails(key: RSAKey) -> None:
    fetches: list[int] = []
    other = _generate("k2")
    client = _client(_provider([_public(key)], counter=fetches))
    with pytest.raises(OidcError, match="signature"):
        await client.verify_id_token(_token(other), nonce="n1")
    assert len(fetches) == 2


async def test_a_symmetric_key_in_the_jwks_cannot_sign_an_id_token(key: RSAKey) -> None:
    secret = b"s" * 32
    oct_key = {"kty": "oct", "kid": "h1", "k": "c" * 43}
    forged = jwt.encode(
        {"iss": ISSUER, "aud": "bot-1", "id": 42, "nonce": "n1", "iat": NOW, "exp": NOW + 300},
        secret,
        algorithm="HS256",
        headers={"kid": "h1"},
    )
    with pytest.raises(OidcError, match="signature"):
        await _client(_provider([oct_key, _public(key)])).verify_id_token(forged, nonce="n1")


def test_the_clock_used_is_not_the_wall_clock() -> None:
    assert abs(NOW - time.time()) > 3600  # the tests above would pass by accident otherwise


@pytest.mark.parametrize("claim", ["name", "preferred_username"])
async def test_bidi_and_control_characters_are_stripped_from_the_display_name(
    key: RSAKey, claim: str
) -> None:
    token = _token(key, **{claim: "Eve\u202egnp.exe\u2066\u200f\x00 Smith"})
    client = _client(_provider([_public(key)], id_token=token))
    person = await client.exchange(code="c", verifier="v", nonce="n1")
    assert person.display_name == "Evegnp.exe Smith"
    assert plain_name("\u202e\u2067") == ""


def _generic() -> OidcClient:
    config = OidcConfig(
        issuer=ISSUER, client_id="app", client_secret=b"s", redirect_uri="https://me/cb", telegram_ids=False
    )
    return OidcClient(config, clock=lambda: NOW)


def test_a_generic_providers_sub_of_any_shape_names_the_person_at_that_issuer() -> None:
    person = _generic().person({"sub": "johndoe", "name": "John Doe"})
    assert (person.subject, person.telegram_user_id, person.display_name) == (
        f"{ISSUER}#johndoe",
        None,
        "John Doe",
    )
    numeric = _generic().person({"sub": "42", "id": 42})
    assert (numeric.subject, numeric.telegram_user_id) == (f"{ISSUER}#42", None)  # never a Telegram id
    assert _generic().person({"sub": "a1b2-c3"}).display_name == "a1b2-c3"


@pytest.mark.parametrize("sub", [None, "", " padded", "x" * 256, "line\nbreak", 42])
def test_a_generic_providers_unusable_sub_is_refused_in_one_sentence(sub: object) -> None:
    with pytest.raises(OidcError, match="no usable sub"):
        _generic().person({"sub": sub})


def test_telegrams_issuer_names_the_telegram_user() -> None:
    client = _client(_provider([]))
    person = client.person({"sub": "opaque", "id": "123", "name": "Ada"})
    assert (person.subject, person.telegram_user_id) == ("tg:123", 123)
    with pytest.raises(OidcError, match="no numeric id claim"):
        client.person({"sub": "johndoe"})
