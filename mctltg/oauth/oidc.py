"""The upstream sign-in leg: OpenID Connect against Telegram (or any standard provider).

A person proves who they are at ``TELEGRAM_OIDC_ISSUER`` with the authorization-code
flow, using its own PKCE pair (S256) and nonce, separate from the MCP client's. The
``id_token`` is verified with joserfc (no hand-written JOSE) against the provider's
JWKS: signature, ``iss``, ``aud``, ``exp``/``iat`` with two minutes of clock skew,
and ``nonce``. Keys of a type we cannot use are skipped rather than failing the set,
and the JWKS is fetched again once when a token names a key id we have not seen
(the provider rotated its keys).

The Telegram user id comes from the ``id`` claim (Telegram's; a number or a numeric
string), falling back to a numeric ``sub`` for generic providers.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from mctltg.oauth.rfc7636 import s256

if TYPE_CHECKING:
    # httpx and joserfc (with cryptography's x509) cost about 0.07 s of startup; they are
    # imported when the first person signs in, not when the server starts.
    import httpx
    from joserfc.jwk import KeySet

__all__ = ["OidcClient", "OidcConfig", "OidcError", "SignedIn"]

logger = logging.getLogger(__name__)

CLOCK_SKEW: Final = 120
_METADATA_TTL: Final = 3600.0
_ALGORITHMS: Final = (
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
)


class OidcError(Exception):
    """Sign-in at the provider failed; the message is safe to show (no tokens, no codes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: bytes
    redirect_uri: str
    scope: str = "openid profile"
    timeout: float = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedIn:
    """Who signed in: their Telegram user id and a display name."""

    telegram_user_id: int
    display_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _Provider:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    auth_methods: tuple[str, ...]
    fetched_at: float


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


class OidcClient:
    """Talks to the OIDC provider; holds its metadata and JWKS between sign-ins."""

    def __init__(
        self, config: OidcConfig, *, clock: Any = time.time, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._clock = clock
        self._transport = transport
        self._provider: _Provider | None = None
        self._keys: KeySet | None = None

    def __repr__(self) -> str:
        return f"<OidcClient issuer={self.config.issuer!r}>"

    async def _http_json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        import httpx

        try:
            async with httpx.AsyncClient(timeout=self.config.timeout, transport=self._transport) as http:
                response = await http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise OidcError(f"The sign-in provider could not be reached ({type(exc).__name__}).") from None
        if response.status_code != 200:
            raise OidcError(f"The sign-in provider answered HTTP {response.status_code}.")
        try:
            body = response.json()
        except ValueError:
            raise OidcError("The sign-in provider answered with something that is not JSON.") from None
        if not isinstance(body, dict):
            raise OidcError("The sign-in provider answered with something that is not a JSON object.")
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
        user_id = telegram_user_id(claims)
        if user_id is None:
            raise OidcError("The sign-in did not say which Telegram user signed in (no numeric id claim).")
        name = claims.get("name") or claims.get("preferred_username") or f"Telegram user {user_id}"
        return SignedIn(telegram_user_id=user_id, display_name=str(name)[:200])

    async def _key_set(self, *, refresh: bool) -> KeySet:
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        if self._keys is not None and not refresh:
            return self._keys
        provider = await self._discover()
        document = await self._http_json("GET", provider.jwks_uri)
        raw_keys = document.get("keys")
        if not isinstance(raw_keys, list):
            raise OidcError("The sign-in provider's JWKS has no keys list.")
        usable = []
        for raw in raw_keys:
            if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
                continue
            try:
                usable.append(KeySet.import_key_set({"keys": [raw]}).keys[0])
            except (JoseError, ValueError, TypeError, KeyError):
                continue  # a key type or curve we cannot use: skip it, keep the rest
        if not usable:
            raise OidcError("The sign-in provider's JWKS has no usable signing key.")
        self._keys = KeySet(usable)
        return self._keys

    async def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Verify an id_token's signature and claims; return the claims.

        Raises:
            OidcError: any check failed.
        """
        from joserfc import jwt
        from joserfc.errors import JoseError

        keys = await self._key_set(refresh=False)
        try:
            token = jwt.decode(id_token, keys, algorithms=list(_ALGORITHMS))
        except JoseError:
            keys = await self._key_set(refresh=True)
            try:
                token = jwt.decode(id_token, keys, algorithms=list(_ALGORITHMS))
            except JoseError as exc:
                raise OidcError(f"The id_token's signature did not verify ({type(exc).__name__}).") from None
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self.config.issuer},
            aud={"essential": True, "value": self.config.client_id},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise OidcError(f"The id_token's claims were not acceptable ({exc.error}).") from None
        iat = token.claims.get("iat")
        if isinstance(iat, int | float) and iat > self._clock() + CLOCK_SKEW:
            raise OidcError("The id_token was issued in the future.")
        return dict(token.claims)
