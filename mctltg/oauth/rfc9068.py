"""RFC 9068 — JSON Web Token (JWT) Profile for OAuth 2.0 Access Tokens; the only pyjwt user.

https://www.rfc-editor.org/rfc/rfc9068 §2.1 (``typ: at+jwt``), §2.2 (claims: iss,
exp, aud, sub, client_id, iat, jti, scope), §4 (validation). Tokens are HS256-signed
with ``OAUTH_JWT_SIGNING_KEY``: the issuer and the resource server are one process, so
a shared key is enough and needs no key distribution. Verification pins the algorithm
to HS256 (``alg: none`` and every other algorithm are refused), requires ``typ: at+jwt``
and every claim, checks issuer and audience exactly, and refuses a token issued in
the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import jwt

__all__ = ["MIN_KEY_BYTES", "AccessClaims", "AccessTokenCodec"]

MIN_KEY_BYTES: Final = 32
_ALGORITHM: Final = "HS256"
#: §2.1 / §4: "at+jwt" (or its media type); an ID token or any other JWT signed with our key is not one.
_TYPES: Final = frozenset({"at+jwt", "application/at+jwt"})
#: Seconds an ``iat`` may lie ahead of our clock (another host's clock, a second's rounding).
FUTURE_IAT_SKEW: Final = 60
_REQUIRED: Final = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessClaims:
    """The verified claims of one access token."""

    issuer: str
    subject: str
    audience: str
    client_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    jti: str
    #: Set only on worker tokens (``oauth/worker_tokens.py``): what the operator minted it for.
    purpose: str | None = None


class AccessTokenCodec:
    """Mints and verifies this server's access tokens.

    Args:
        key: the HS256 key, at least 32 bytes.
        issuer: the ``iss`` every token carries and every verification demands.
        leeway: seconds of clock skew tolerated on ``exp``/``iat``.

    Raises:
        ValueError: the key is shorter than 32 bytes.
    """

    def __init__(self, key: bytes, *, issuer: str, leeway: float = 0) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the access-token signing key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key
        self._issuer = issuer
        self._leeway = leeway

    def __repr__(self) -> str:
        return f"<AccessTokenCodec issuer={self._issuer!r}>"

    def mint(self, claims: AccessClaims) -> str:
        payload: dict[str, Any] = {
            "iss": claims.issuer,
            "sub": claims.subject,
            "aud": claims.audience,
            "client_id": claims.client_id,
            "scope": " ".join(claims.scopes),
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": claims.jti,
        }
        if claims.purpose is not None:
            payload["purpose"] = claims.purpose
        return jwt.encode(payload, self._key, algorithm=_ALGORITHM, headers={"typ": "at+jwt"})

    def verify(
        self, token: str, *, audience: str, now: float | None = None, check_expiry: bool = True
    ) -> AccessClaims | None:
        """The token's claims if it is ours, unexpired and meant for ``audience``; else None.

        ``check_expiry=False`` is for revocation, where an expired token is still ours.
        """
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != _ALGORITHM or str(header.get("typ", "")).lower() not in _TYPES:
                return None
            payload = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED, "verify_exp": check_expiry, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        if now is not None and check_expiry and int(payload["exp"]) + self._leeway < now:
            return None
        if now is not None and int(payload["iat"]) > now + max(self._leeway, FUTURE_IAT_SKEW):
            return None  # issued in the future: minted with a wrong clock or forged ahead of time
        scope = payload.get("scope", "")
        purpose = payload.get("purpose")
        if not isinstance(scope, str) or not isinstance(payload["sub"], str):
            return None
        if purpose is not None and not isinstance(purpose, str):
            return None
        return AccessClaims(
            issuer=str(payload["iss"]),
            subject=payload["sub"],
            audience=audience,
            client_id=str(payload["client_id"]),
            scopes=tuple(scope.split()),
            issued_at=int(payload["iat"]),
            expires_at=int(payload["exp"]),
            jti=str(payload["jti"]),
            purpose=purpose,
        )
