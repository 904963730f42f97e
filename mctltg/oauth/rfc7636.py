"""RFC 7636 — Proof Key for Code Exchange (PKCE), S256 only.

https://www.rfc-editor.org/rfc/rfc7636 §4.1 (verifier grammar), §4.2 (S256), §4.6
(server verification). OAuth 2.1 makes PKCE mandatory and this server accepts only
``S256``: ``plain`` protects nothing against an attacker who sees the request.
The comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final

from mctltg.crypto import constant_time_equal
from mctltg.oauth.errors import AuthorizeError

__all__ = ["challenge_of", "check_challenge", "s256", "verify"]

# §4.1: code-verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
_VERIFIER: Final = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# An S256 challenge is BASE64URL(SHA256(verifier)) without padding: exactly 43 characters.
_CHALLENGE: Final = re.compile(r"[A-Za-z0-9\-_]{43}")


def s256(verifier: str) -> str:
    """BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) without padding (§4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def check_challenge(challenge: str | None, method: str | None) -> str:
    """Validate the authorization request's PKCE parameters; return the challenge.

    Raises:
        AuthorizeError: the challenge is missing or malformed, or the method is not S256.
    """
    if not challenge:
        raise AuthorizeError("invalid_request", "code_challenge is required (PKCE with S256).")
    if method != "S256":
        shown = "missing" if not method else f"{method!r}"
        raise AuthorizeError(
            "invalid_request",
            f"code_challenge_method is {shown}; this server accepts only S256.",
        )
    if not _CHALLENGE.fullmatch(challenge):
        raise AuthorizeError("invalid_request", "code_challenge must be 43 base64url characters (S256).")
    return challenge


def challenge_of(verifier: str | None) -> str | None:
    """The S256 challenge of a well-formed verifier (§4.1); None for a missing or malformed one."""
    if not verifier or not _VERIFIER.fullmatch(verifier):
        return None
    return s256(verifier)


def verify(verifier: str | None, challenge: str) -> bool:
    """Whether ``verifier`` matches the stored S256 ``challenge`` (§4.6)."""
    if not verifier or not _VERIFIER.fullmatch(verifier):
        return False
    return constant_time_equal(s256(verifier), challenge)
