"""The upstream sign-in leg: OpenID Connect against Telegram (or any standard provider).

A person proves who they are at ``TELEGRAM_OIDC_ISSUER`` with the authorization-code
flow, using its own PKCE pair (S256) and nonce, separate from the MCP client's. The
``id_token`` is verified with pyjwt (no hand-written JOSE; ``PyJWKSet`` reads the
keys) against the provider's JWKS: signature, ``iss``, ``aud``, ``exp``/``iat`` with
two minutes of clock skew, and ``nonce``. Only asymmetric signing keys are used (an
``oct`` key in a JWKS would let anyone who read it sign); keys of a type we cannot use
are skipped rather than failing the set; each key verifies only its own algorithm
(its JWK ``alg``, else its type's default: RS256, ES256/384/512 by curve, EdDSA);
and the JWKS is fetched again once when a token's signature does not verify with the
keys we hold (the provider rotated its keys).

Who signed in depends on the issuer (``OidcConfig.telegram_ids``):

* Telegram's issuer names a Telegram user: the id comes from the ``id`` claim (a
  number or a numeric string; a numeric ``sub`` also does), and the identity is
  ``tg:<id>``, which ``TG_LOGIN_ADMINS``/``TG_LOGIN_CLIENTS`` list.
* Any other standard provider names its own user by ``sub``, of any shape
  (``johndoe``, a UUID, a number): the identity is ``<issuer>#<sub>``
  (:func:`issuer_subject`), so the same ``sub`` at two issuers is two people, and a
  provider's numeric ``sub`` is never taken for a Telegram user id.
"""

from __future__ import annotations

import base64
import logging
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeGuard
from urllib.parse import urlencode

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.crypto import constant_time_equal
from mctltg.oauth.rfc7636 import s256

if TYPE_CHECKING:
    # httpx2 (the MCP SDK's HTTP client, our only one) and pyjwt's JWK support (cryptography)
    # cost startup time; they are imported when the first person signs in, not at start.
    import httpx2
    from jwt import PyJWKSet

__all__ = [
    "OidcClient",
    "OidcConfig",
    "OidcError",
    "OidcUnavailable",
    "SignedIn",
    "issuer_subject",
    "plain_name",
]

logger = logging.getLogger(__name__)

CLOCK_SKEW: Final = 120
#: OpenID Connect Core §2: ``sub`` is at most 255 ASCII characters.
MAX_SUB: Final = 255
_METADATA_TTL: Final = 3600.0
_ALGORITHMS: Final = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
    }
)
_KEY_TYPES: Final = frozenset({"RSA", "EC", "OKP"})
_SIGNATURE_ONLY: Final[Any] = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
    "verify_aud": False,
    "verify_iss": False,
}


class OidcError(Exception):
    """Sign-in at the provider failed; the message is safe to show (no tokens, no codes)."""


class OidcUnavailable(OidcError):
    """The provider did not answer usefully (unreachable, a 5xx, not JSON): try again later."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: bytes
    redirect_uri: str
    scope: str = "openid profile"
    timeout: float = 10.0
    #: The issuer is Telegram's: people are Telegram users (``tg:<id>``), not ``<issuer>#<sub>``.
    telegram_ids: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedIn:
    """Who signed in: their identity subject, their Telegram user id (Telegram's issuer only), a name."""

    subject: str
    telegram_user_id: int | None
    display_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _Provider:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    auth_methods: tuple[str, ...]
    fetched_at: float


def plain_name(text: str) -> str:
    """``text`` without control, format (bidi overrides and isolates, zero-width) or private-use characters.

    A display name from the provider is shown on every page; a right-to-left override
    in it could make "Eve\u202egnp.exe" read as "Eveexe.png", or reorder the text
    around it. Runs of whitespace collapse to one space.
    """
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())


def telegram_user_id(claims: dict[str, Any]) -> int | None:
    """The Telegram user id in verified id_token claims (``id``, else a numeric ``sub``)."""
    for name in ("id", "sub"):
        value = claims.get(name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and value > 0:
            return value
        if isinstance(value, str) and value.isdigit() and int(value) > 0:
            return int(value)
    return None


def issuer_subject(issuer: str, sub: str) -> str:
    """The identity subject of ``sub`` at a provider other than Telegram's: ``<issuer>#<sub>``.

    An issuer is a URL without a fragment (OpenID Connect Discovery §3), so the first
    ``#`` always ends it: two (issuer, sub) pairs never make the same subject.
    """
    return f"{issuer}#{sub}"


def _usable_sub(value: object) -> str | None:
    """``value`` if it can name a person: a non-empty string of at most 255 printable characters."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_SUB:
        return None
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in value) or value.strip() != value:
        return None
    return value


class OidcClient:
    """Talks to the OIDC provider; holds its metadata and JWKS between sign-ins."""

    def __init__(
        self,
        config: OidcConfig,
        *,
        clock: Clock = SYSTEM_CLOCK,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._transport = transport
        self._provider: _Provider | None = None
        self._keys: PyJWKSet | None = None

    def __repr__(self) -> str:
        return f"<OidcClient issuer={self.config.issuer!r}>"

    async def _http_json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        import httpx2

        try:
            async with httpx2.AsyncClient(timeout=self.config.timeout, transport=self._transport) as http:
                response = await http.request(method, url, **kwargs)
        except httpx2.HTTPError as exc:
            raise OidcUnavailable(
                f"The sign-in provider could not be reached ({type(exc).__name__})."
            ) from None
        if response.status_code >= 500:
            raise OidcUnavailable(f"The sign-in provider answered HTTP {response.status_code}.")
        if response.status_code != 200:
            raise OidcError(f"The sign-in provider refused the request (HTTP {response.status_code}).")
        try:
            body = response.json()
        except ValueError:
            raise OidcUnavailable("The sign-in provider answered with something that is not JSON.") from None
        if not isinstance(body, dict):
            raise OidcUnavailable("The sign-in provider answered with something that is not a JSON object.")
        return body

    async def _discover(self) -> _Provider:
        now = self._clock()
        if self._provider is not None and now - self._provider.fetched_at < _METADATA_TTL:
            return self._provider
        document = await self._http_json("GET", self.config.issuer + "/.well-known/openid-configuration")
        if document.get("issuer") != self.config.issuer:
            raise OidcError(
                "The sign-in provider's metadata names another issuer; check TELEGRAM_OIDC_ISSUER."
            )
        try:
            provider = _Provider(
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                auth_methods=tuple(
                    document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
                ),
                fetched_at=now,
            )
        except KeyError as exc:
            raise OidcError(f"The sign-in provider's metadata lacks {exc.args[0]}.") from None
        self._provider = provider
        return provider

    async def authorization_url(self, *, state: str, nonce: str, verifier: str) -> str:
        """Where to send the browser to sign in."""
        provider = await self._discover()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": self.config.redirect_uri,
                "scope": self.config.scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in provider.authorization_endpoint else "?"
        return f"{provider.authorization_endpoint}{separator}{query}"

    async def exchange(self, *, code: str, verifier: str, nonce: str) -> SignedIn:
        """Redeem the provider's code and verify its id_token.

        Raises:
            OidcError: the exchange or the verification failed.
        """
        provider = await self._discover()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Accept": "application/json"}
        secret = self.config.client_secret.decode()
        if "client_secret_basic" in provider.auth_methods:
            pair = f"{self.config.client_id}:{secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form |= {"client_id": self.config.client_id, "client_secret": secret}
        tokens = await self._http_json("POST", provider.token_endpoint, data=form, headers=headers)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("The sign-in provider returned no id_token.")
        claims = await self.verify_id_token(id_token, nonce=nonce)
        return self.person(claims)

    def person(self, claims: dict[str, Any]) -> SignedIn:
        """Who verified ``claims`` name (see the module docstring).

        Raises:
            OidcError: the claims do not name anyone this issuer can name.
        """
        name = plain_name(str(claims.get("name") or claims.get("preferred_username") or ""))[:200]
        if self.config.telegram_ids:
            user_id = telegram_user_id(claims)
            if user_id is None:
                raise OidcError(
                    "The sign-in did not say which Telegram user signed in (no numeric id claim)."
                )
            return SignedIn(
                subject=f"tg:{user_id}",
                telegram_user_id=user_id,
                display_name=name or f"Telegram user {user_id}",
            )
        sub = _usable_sub(claims.get("sub"))
        if sub is None:
            raise OidcError(
                "The sign-in provider's id_token has no usable sub (at most 255 printable characters)."
            )
        return SignedIn(
            subject=issuer_subject(self.config.issuer, sub),
            telegram_user_id=None,
            display_name=name or plain_name(sub)[:200] or "Signed-in person",
        )

    async def _key_set(self, *, refresh: bool) -> PyJWKSet:
        from jwt import PyJWKSet
        from jwt.exceptions import PyJWKSetError

        if self._keys is not None and not refresh:
            return self._keys
        provider = await self._discover()
        document = await self._http_json("GET", provider.jwks_uri)
        raw_keys = document.get("keys")
        if not isinstance(raw_keys, list):
            raise OidcError("The sign-in provider's JWKS has no keys list.")
        signing = [
            raw
            for raw in raw_keys
            if isinstance(raw, dict) and raw.get("use", "sig") == "sig" and raw.get("kty") in _KEY_TYPES
        ]
        try:
            self._keys = PyJWKSet(signing)  # skips keys of a type or curve it cannot use
        except PyJWKSetError:
            raise OidcError("The sign-in provider's JWKS has no usable signing key.") from None
        return self._keys

    def _decode(self, id_token: str, keys: PyJWKSet) -> dict[str, Any] | None:
        """The claims if some key in ``keys`` verifies the signature (claims not yet checked)."""
        import jwt

        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            return None
        alg = header.get("alg")
        if alg not in _ALGORITHMS:
            return None
        kid = header.get("kid")
        for key in keys:
            if key.algorithm_name != alg or (kid is not None and key.key_id not in (None, kid)):
                continue
            try:
                # The PyJWK carries its own algorithm; claims are checked by the caller.
                claims: dict[str, Any] = jwt.decode(id_token, key, algorithms=[alg], options=_SIGNATURE_ONLY)
            except jwt.PyJWTError:
                continue
            return claims
        return None

    async def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Verify an id_token's signature and claims; return the claims.

        pyjwt checks the signature; the claims are checked here because pyjwt reads the
        wall clock and this client's clock is injected (tests, and one home for "now").

        Raises:
            OidcError: any check failed.
        """
        claims = self._decode(id_token, await self._key_set(refresh=False))
        if claims is None:
            claims = self._decode(id_token, await self._key_set(refresh=True))
        if claims is None:
            raise OidcError("The id_token's signature did not verify with the provider's keys.")
        now = self._clock()
        if claims.get("iss") != self.config.issuer:
            raise OidcError("The id_token's claims were not acceptable (iss).")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.config.client_id not in audiences:
            raise OidcError("The id_token's claims were not acceptable (aud).")
        exp = claims.get("exp")
        if not _is_number(exp) or exp + CLOCK_SKEW < now:
            raise OidcError("The id_token's claims were not acceptable (exp).")
        nbf = claims.get("nbf")
        if nbf is not None and (not _is_number(nbf) or nbf - CLOCK_SKEW > now):
            raise OidcError("The id_token's claims were not acceptable (nbf).")
        iat = claims.get("iat")
        if iat is not None and (not _is_number(iat) or iat > now + CLOCK_SKEW):
            raise OidcError("The id_token was issued in the future.")
        token_nonce = claims.get("nonce")
        if not isinstance(token_nonce, str) or not constant_time_equal(token_nonce, nonce):
            raise OidcError("The id_token's claims were not acceptable (nonce).")
        return claims


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
