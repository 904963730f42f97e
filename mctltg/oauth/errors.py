"""OAuth protocol errors, in the RFCs' own vocabulary.

These are not ``MctltgError``s: they never reach a tool. Each one is answered on the
wire exactly as the RFC says (a JSON body at the token, registration and revocation
endpoints, a redirect or an error page at the authorization endpoint), so the error
code is a ``Literal`` and a misspelt code is a type error. Descriptions are plain
sentences without tokens, codes or secrets: they are shown to clients and logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["AuthorizeError", "OAuthError", "OAuthErrorCode"]

OAuthErrorCode = Literal[
    # RFC 6749 §4.1.2.1 and §5.2
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "unsupported_response_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    # RFC 8707 §2
    "invalid_target",
    # RFC 7591 §3.2.2
    "invalid_redirect_uri",
    "invalid_client_metadata",
    # RFC 7009 §2.2.1
    "unsupported_token_type",
]


@dataclass(frozen=True, slots=True)
class OAuthError(Exception):
    """An OAuth error answered as ``{"error": code, "error_description": description}``.

    Attributes:
        error: the RFC error code.
        description: one sentence for the client developer.
        status: the HTTP status (400 unless the RFC says otherwise, e.g. 401 for invalid_client).
        retry_after: for a rate limit, seconds until a retry can succeed.
    """

    error: OAuthErrorCode
    description: str
    status: int = 400
    #: Seconds to send as ``Retry-After`` (rate limits), if any.
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.error}: {self.description}"

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True, slots=True)
class AuthorizeError(Exception):
    """An authorization-request error (RFC 6749 §4.1.2.1).

    ``redirect`` is False when the client or its redirect URI could not be verified:
    then the error is shown to the person on a page and never sent to the URI.
    """

    error: OAuthErrorCode
    description: str
    redirect: bool = True

    def __str__(self) -> str:
        return f"{self.error}: {self.description}"
