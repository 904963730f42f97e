"""RFC 6749 — The OAuth 2.0 Authorization Framework, as OAuth 2.1 profiles it.

https://www.rfc-editor.org/rfc/rfc6749 §3.1.2 (redirection endpoint), §4.1.1
(authorization request), §4.1.2 (response and errors, with RFC 9207's ``iss``),
§4.1.3 (access token request), §5.1/§5.2 (token responses and errors), §6
(refreshing). OAuth 2.1 (draft-ietf-oauth-v2-1) tightens these: exact redirect-URI
matching, PKCE S256 on every code, single-use codes, no implicit grant.

Pure rules only: :mod:`mctltg.oauth.server` sequences them over the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mctltg.config import is_loopback_host
from mctltg.oauth import rfc7636
from mctltg.oauth.errors import AuthorizeError, OAuthError
from mctltg.oauth.rfc8707 import resolve_resource
from mctltg.oauth.scopes import format_scope, parse_scope
from mctltg.storage import Outcome

__all__ = [
    "AUTHORIZATION_TTL",
    "CODE_FAILURES",
    "CODE_TTL",
    "MAX_STATE_BYTES",
    "REFRESH_FAILURES",
    "AuthorizationRequest",
    "TokenResponse",
    "code_redirect",
    "error_redirect",
    "match_redirect_uri",
    "parse_authorization_request",
    "refresh_scope",
    "single",
]

MAX_STATE_BYTES: Final = 4096
CODE_TTL: Final = 600.0
AUTHORIZATION_TTL: Final = 900.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationRequest:
    """A validated authorization request (§4.1.1 with PKCE and RFC 8707 ``resource``)."""

    redirect_uri: str
    state: str | None
    code_challenge: str
    scope: str | None
    resource: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenResponse:
    body: dict[str, Any]


def with_query(uri: str, params: Mapping[str, str | None]) -> str:
    """``uri`` with ``params`` appended to its query (None values left out), keeping what it had."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((key, value) for key, value in params.items() if value is not None)
    return urlunsplit(parts._replace(query=urlencode(query)))


def single(params: Mapping[str, list[str]], name: str) -> str | None:
    """The one value of ``name``; a parameter given twice is an error (§3.1)."""
    values = params.get(name) or []
    if len(values) > 1:
        raise AuthorizeError("invalid_request", f"The {name} parameter was given more than once.")
    return values[0] if values else None


def match_redirect_uri(registered: tuple[str, ...], requested: str | None) -> str:
    """The redirect URI to use: the requested one if it matches a registered one exactly.

    Exactly, except the port of an http loopback URI (:func:`_same_loopback`).

    Raises:
        AuthorizeError: with ``redirect=False`` (never redirect to an unverified URI).
    """
    if requested is None:
        if len(registered) != 1:
            raise AuthorizeError(
                "invalid_request", "redirect_uri is required: this client registered several.", redirect=False
            )
        return registered[0]
    if requested not in registered and not any(_same_loopback(uri, requested) for uri in registered):
        raise AuthorizeError(
            "invalid_request",
            "The redirect_uri does not exactly match one this client registered.",
            redirect=False,
        )
    return requested


def _same_loopback(registered: str, requested: str) -> bool:
    """Whether two http loopback URIs differ at most in their port (RFC 8252 §7.3).

    A native client listens on whatever port the OS gives it at request time, so the
    port of a registered loopback redirect URI is not part of the match; everything
    else (scheme, host, path, query) still is, exactly.
    """
    try:
        a, b = urlsplit(registered), urlsplit(requested)
        _ = (a.port, b.port)  # a malformed port raises ValueError
    except ValueError:
        return False
    if a.scheme != "http" or b.scheme != "http" or a.username or b.username:
        return False
    host = a.hostname or ""
    return (
        is_loopback_host(host)
        and host == b.hostname
        and a.path == b.path
        and a.query == b.query
        and not a.fragment
        and not b.fragment
    )


def parse_authorization_request(
    params: Mapping[str, list[str]], *, redirect_uri: str, default_resource: str
) -> AuthorizationRequest:
    """Validate the rest of an authorization request once client and redirect URI are known.

    Raises:
        AuthorizeError: to be sent to ``redirect_uri`` (§4.1.2.1).
    """
    state = single(params, "state")
    if state is not None and len(state.encode()) > MAX_STATE_BYTES:
        raise AuthorizeError("invalid_request", f"state may be at most {MAX_STATE_BYTES} bytes.")
    if single(params, "response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "Only response_type=code is supported.")
    challenge = rfc7636.check_challenge(
        single(params, "code_challenge"), single(params, "code_challenge_method")
    )
    try:
        scopes = parse_scope(single(params, "scope"))
    except ValueError as exc:
        raise AuthorizeError("invalid_scope", f"The scope parameter is invalid: {exc}.") from None
    try:
        resource = resolve_resource(params.get("resource") or [], default_resource)
    except OAuthError as exc:
        raise AuthorizeError(exc.error, exc.description) from None
    return AuthorizationRequest(
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
        scope=None if scopes is None else format_scope(scopes),
        resource=resource,
    )


def error_redirect(redirect_uri: str, error: AuthorizeError, state: str | None, *, issuer: str) -> str:
    """The redirect carrying an authorization error (§4.1.2.1), with ``iss`` (RFC 9207)."""
    if state is not None and len(state.encode()) > MAX_STATE_BYTES:
        state = None
    return with_query(
        redirect_uri,
        {"error": error.error, "error_description": error.description, "state": state, "iss": issuer},
    )


def code_redirect(redirect_uri: str, code: str, state: str | None, *, issuer: str) -> str:
    """The redirect carrying a code (§4.1.2), with ``iss`` (RFC 9207)."""
    return with_query(redirect_uri, {"code": code, "state": state, "iss": issuer})


def refresh_scope(requested: str | None, granted: frozenset[str]) -> frozenset[str] | None:
    """The narrower scope a refresh asks for, if any (§6: it may not exceed the grant).

    Raises:
        OAuthError: ``invalid_scope``.
    """
    try:
        scopes = parse_scope(requested)
    except ValueError as exc:
        raise OAuthError("invalid_scope", f"The scope parameter is invalid: {exc}.") from None
    if scopes is not None and not scopes <= granted:
        raise OAuthError(
            "invalid_scope",
            "A refresh cannot widen the grant; sign in again to grant more: "
            f"{format_scope(scopes - granted)}.",
        )
    return scopes


CODE_FAILURES: Final = {
    Outcome.MISSING: "The authorization code is not valid.",
    Outcome.REPLAYED: "The authorization code was already used; the tokens it issued are revoked.",
    Outcome.EXPIRED: "The authorization code expired; start the authorization again.",
    Outcome.WRONG_CLIENT: "The authorization code was issued to another client.",
    Outcome.WRONG_REDIRECT: "redirect_uri does not match the one in the authorization request.",
    Outcome.WRONG_VERIFIER: "code_verifier is missing or does not match the code_challenge (PKCE S256).",
    Outcome.WRONG_RESOURCE: "resource does not match the one in the authorization request.",
}

REFRESH_FAILURES: Final = {
    Outcome.MISSING: "The refresh token is not valid.",
    Outcome.REPLAYED: "The refresh token was already used; its whole grant is revoked. Sign in again.",
    Outcome.REVOKED: "The grant was revoked; sign in again.",
    Outcome.EXPIRED: "The grant expired; sign in again.",
    Outcome.WRONG_CLIENT: "The refresh token was issued to another client.",
}
