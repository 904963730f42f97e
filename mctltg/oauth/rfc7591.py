"""RFC 7591 — OAuth 2.0 Dynamic Client Registration, for public clients.

https://www.rfc-editor.org/rfc/rfc7591 §2 (metadata), §3.1 (request), §3.2.1
(response: the server may replace requested values), §3.2.2 (errors). Every client is
public (``token_endpoint_auth_method: none``; PKCE protects the code), so registration
needs no credentials and must be safe to expose: sizes are bounded, and redirect URIs
are limited to https, or http on a loopback address for native clients (RFC 8252 §7.3).
No userinfo, backslashes, fragments or custom schemes: each has been used to bounce a
code to an attacker through a lax URL parser.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from mctltg.config import is_loopback_host
from mctltg.oauth.errors import OAuthError
from mctltg.oauth.scopes import format_scope, parse_scope

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_REDIRECT_URIS",
    "MAX_REDIRECT_URI_CHARS",
    "ClientMetadata",
    "ascii_netloc",
    "check_redirect_uri",
    "parse_registration",
]

MAX_BODY_BYTES: Final = 16 * 1024
# Bounded so one registration stores a few hundred bytes (SECURITY.md, "OAuth and web hardening").
MAX_REDIRECT_URIS: Final = 5
MAX_REDIRECT_URI_CHARS: Final = 512
MAX_CLIENT_NAME_CHARS: Final = 100
_SUPPORTED_GRANTS: Final = ("authorization_code", "refresh_token")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientMetadata:
    """A registration request, validated and normalised to what this server will honour."""

    client_name: str | None
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scope: str | None


def check_redirect_uri(uri: object, *, allowed_hosts: frozenset[str] = frozenset()) -> str:
    """Return ``uri`` if it is an acceptable redirect URI.

    Raises:
        OAuthError: ``invalid_redirect_uri`` with the reason.
    """
    if not isinstance(uri, str) or not uri:
        raise OAuthError("invalid_redirect_uri", "Each redirect URI must be a non-empty string.")
    if len(uri) > MAX_REDIRECT_URI_CHARS:
        raise OAuthError(
            "invalid_redirect_uri", f"A redirect URI may be at most {MAX_REDIRECT_URI_CHARS} characters."
        )
    if "\\" in uri or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in uri):
        raise OAuthError(
            "invalid_redirect_uri",
            "A redirect URI must not contain backslashes, spaces or control characters.",
        )
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise OAuthError("invalid_redirect_uri", "A redirect URI is not a well-formed URL.") from None
    if parts.scheme not in ("https", "http"):
        raise OAuthError(
            "invalid_redirect_uri",
            "Redirect URIs must use https (or http on a loopback address); custom schemes are not accepted.",
        )
    if "@" in parts.netloc or parts.username is not None:
        raise OAuthError("invalid_redirect_uri", "A redirect URI must not carry a user name or password.")
    if parts.fragment or "#" in uri:
        raise OAuthError("invalid_redirect_uri", "A redirect URI must not carry a fragment.")
    host = (parts.hostname or "").lower()
    if not host:
        raise OAuthError("invalid_redirect_uri", "A redirect URI needs a host.")
    loopback = is_loopback_host(host)
    if parts.scheme == "http" and not loopback:
        raise OAuthError(
            "invalid_redirect_uri",
            "Plain http redirect URIs are accepted only on a loopback address "
            "(127.0.0.1, [::1] or localhost); use https.",
        )
    if allowed_hosts and not loopback and host not in allowed_hosts:
        raise OAuthError(
            "invalid_redirect_uri",
            f"This server accepts redirect URIs only on: {', '.join(sorted(allowed_hosts))}.",
        )
    return uri


def ascii_netloc(uri: str) -> tuple[str, bool]:
    """``uri``'s host (and port) with a non-ASCII host in punycode; and whether it had to be converted.

    What a person is shown, and what a Content-Security-Policy names, must be the
    name the browser will actually visit: ``clаude.ai`` with a Cyrillic ``а`` looks
    like ``claude.ai`` but is ``xn--clude-5ve.ai``. A host that IDNA cannot encode is
    shown with its non-ASCII characters escaped rather than as-is.
    """
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if host.isascii():
        return parts.netloc, False
    try:
        shown = host.encode("idna").decode("ascii")
    except UnicodeError:
        shown = host.encode("ascii", "backslashreplace").decode("ascii")
    port = f":{parts.port}" if parts.port is not None else ""
    return shown + port, True


def _string_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise OAuthError("invalid_client_metadata", f"{key} must be a list of strings.")
    return value


def _client_name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise OAuthError("invalid_client_metadata", "client_name must be a string.")
    cleaned = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    return cleaned[:MAX_CLIENT_NAME_CHARS] or None


def parse_registration(raw: bytes, *, allowed_hosts: frozenset[str] = frozenset()) -> ClientMetadata:
    """Validate a registration request body (JSON) into ``ClientMetadata``.

    Raises:
        OAuthError: ``invalid_client_metadata`` / ``invalid_redirect_uri`` (400), or
            ``invalid_request`` with status 413 for an oversized body.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise OAuthError(
            "invalid_request", f"The registration request is larger than {MAX_BODY_BYTES} bytes.", status=413
        )
    try:
        body = json.loads(raw)
    except RecursionError:
        # json recurses once per level: a few thousand brackets exhaust the stack.
        raise OAuthError(
            "invalid_client_metadata", "The registration request is nested too deeply to be client metadata."
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise OAuthError(
            "invalid_client_metadata", "The registration request must be a JSON object."
        ) from None
    if not isinstance(body, dict):
        raise OAuthError("invalid_client_metadata", "The registration request must be a JSON object.")

    uris = _string_list(body, "redirect_uris")
    if not uris:
        raise OAuthError("invalid_redirect_uri", "redirect_uris is required and must list at least one URI.")
    if len(uris) > MAX_REDIRECT_URIS:
        raise OAuthError(
            "invalid_redirect_uri", f"At most {MAX_REDIRECT_URIS} redirect URIs may be registered."
        )
    redirect_uris = tuple(dict.fromkeys(check_redirect_uri(uri, allowed_hosts=allowed_hosts) for uri in uris))

    grants = _string_list(body, "grant_types")
    if grants is not None and "authorization_code" not in grants:
        raise OAuthError(
            "invalid_client_metadata",
            "grant_types must include authorization_code; it is the only way to obtain tokens here.",
        )
    response_types = _string_list(body, "response_types")
    if response_types is not None and "code" not in response_types:
        raise OAuthError("invalid_client_metadata", "response_types must include code.")

    scope_value = body.get("scope")
    if scope_value is not None and not isinstance(scope_value, str):
        raise OAuthError("invalid_client_metadata", "scope must be a space-separated string.")
    try:
        scopes = parse_scope(scope_value)
    except ValueError as exc:
        raise OAuthError("invalid_client_metadata", f"scope is invalid: {exc}.") from None

    return ClientMetadata(
        client_name=_client_name(body.get("client_name")),
        redirect_uris=redirect_uris,
        # Refresh is always allowed: clients that omit it still refresh, and nothing is gained by refusing.
        grant_types=_SUPPORTED_GRANTS,
        scope=None if scopes is None else format_scope(scopes),
    )
