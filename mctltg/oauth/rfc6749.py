"""RFC 6749 — The OAuth 2.0 Authorization Framework, as OAuth 2.1 profiles it.

https://www.rfc-editor.org/rfc/rfc6749 §3.1.2 (redirection endpoint), §4.1.1
(authorization request), §4.1.2 (response and errors, with RFC 9207's ``iss``),
§4.1.3 (access token request), §5.1/§5.2 (token responses and errors), §6
(refreshing). OAuth 2.1 (draft-ietf-oauth-v2-1) tightens these: exact redirect-URI
matching, PKCE S256 on every code, single-use codes, no implicit grant.

The rules are pure functions; :class:`TokenEndpoint` applies the grant rules over the
store, and :mod:`mctltg.oauth.server` sequences the authorization request around them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mctltg.config import is_loopback_host
from mctltg.crypto import random_token, sha256_hex
from mctltg.oauth import rfc7636
from mctltg.oauth.errors import AuthorizeError, OAuthError
from mctltg.oauth.rfc8707 import resolve_resource
from mctltg.oauth.rfc9068 import AccessClaims
from mctltg.oauth.scopes import SCOPES, format_scope, parse_scope
from mctltg.storage import ClientRow, CodeCheck, GrantRow, IssueTokens, Outcome

if TYPE_CHECKING:
    from mctltg.oauth.rfc9068 import AccessTokenCodec
    from mctltg.oauth.tiers import Access
    from mctltg.storage import OAuthStore

__all__ = [
    "AUTHORIZATION_TTL",
    "CODE_FAILURES",
    "CODE_TTL",
    "MAX_STATE_BYTES",
    "REFRESH_FAILURES",
    "AuthorizationRequest",
    "TokenEndpoint",
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


class TokenEndpoint:
    """The token endpoint (§4.1.3 code redemption, §6 refresh) over the OAuth store.

    A refresh token's successor is ``HMAC(successor_key, token)``: a concurrent refresh
    inside the grace window recomputes and receives the *same* successor without any
    plaintext token being stored. Scopes are narrowed at every issue by the identity's
    access tier right now (``access_of``).
    """

    def __init__(
        self,
        *,
        store: OAuthStore,
        codec: AccessTokenCodec,
        access_of: Callable[[int, int | None, str], Awaitable[Access]],
        issuer: str,
        resource: str,
        access_token_ttl: float,
        refresh_token_ttl: float,
        refresh_grace: float,
        successor_key: bytes,
    ) -> None:
        self._store = store
        self._codec = codec
        self._access_of = access_of
        self._issuer = issuer
        self._resource = resource
        self._access_token_ttl = access_token_ttl
        self._refresh_token_ttl = refresh_token_ttl
        self._refresh_grace = refresh_grace
        self._successor_key = successor_key

    def __repr__(self) -> str:
        return f"<TokenEndpoint issuer={self._issuer!r}>"

    async def token(self, form: Mapping[str, str]) -> TokenResponse:
        """Answer a token request.

        Raises:
            OAuthError: per RFC 6749 §5.2.
        """
        client_id = form.get("client_id")
        client = await self._store.client(client_id) if client_id else None
        if client is None:
            raise OAuthError(
                "invalid_client",
                "The client_id is missing or unknown; register the client first.",
                status=401,
            )
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return await self._redeem(client, form)
        if grant_type == "refresh_token":
            return await self._refresh(client, form)
        raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")

    def _issue(
        self, issue: IssueTokens, grant: GrantRow, scopes: frozenset[str], refresh_token: str, now: float
    ) -> TokenResponse:
        ordered = tuple(s for s in SCOPES if s in scopes)
        access = self._codec.mint(
            AccessClaims(
                issuer=self._issuer,
                subject=grant.subject,
                audience=grant.resource,
                client_id=grant.client_id,
                scopes=ordered,
                issued_at=int(now),
                expires_at=int(issue.access_expires_at),
                jti=issue.jti,
            )
        )
        return TokenResponse(
            body={
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": int(issue.access_expires_at - now),
                "refresh_token": refresh_token,
                "scope": " ".join(ordered),
            }
        )

    def _new_issue(self, refresh_token: str) -> tuple[IssueTokens, float]:
        now = self._store.clock()
        return IssueTokens(
            refresh_hash=sha256_hex(refresh_token),
            jti=random_token(16),
            access_expires_at=now + self._access_token_ttl,
        ), now

    async def _redeem(self, client: ClientRow, form: Mapping[str, str]) -> TokenResponse:
        code = form.get("code")
        if not code:
            raise OAuthError("invalid_request", "code is required.")
        resource = form.get("resource")
        if resource is not None:
            resource = resolve_resource([resource], self._resource)
        verifier = form.get("code_verifier")
        code_hash = sha256_hex(code)
        preview = await self._store.code_identity(code_hash)
        scopes: frozenset[str] = frozenset()
        if preview is not None:
            access = await self._access_of(preview.identity_id, preview.telegram_user_id, preview.subject)
            scopes = frozenset(preview.scope.split()) & access.scopes
        refresh_token = random_token()
        issue, now = self._new_issue(refresh_token)
        check = CodeCheck(
            client_id=client.client_id,
            redirect_uri=form.get("redirect_uri"),
            challenge_of_verifier=rfc7636.challenge_of(verifier),
            resource=resource,
        )
        result = await self._store.redeem_code(
            code_hash, check, issue, grant_lifetime=self._refresh_token_ttl
        )
        if result.outcome is not Outcome.OK or result.grant is None:
            raise OAuthError("invalid_grant", CODE_FAILURES.get(result.outcome, "The code is not valid."))
        return self._issue(issue, result.grant, scopes, refresh_token, now)

    def successor_of(self, refresh_token: str) -> str:
        digest = hmac.new(self._successor_key, refresh_token.encode(), hashlib.sha256).digest()
        return digest.hex()

    async def _refresh(self, client: ClientRow, form: Mapping[str, str]) -> TokenResponse:
        old = form.get("refresh_token")
        if not old:
            raise OAuthError("invalid_request", "refresh_token is required.")
        old_hash = sha256_hex(old)
        grant = await self._store.grant_of_refresh(old_hash)
        if grant is None:
            raise OAuthError("invalid_grant", "The refresh token is not valid.")
        granted = frozenset(grant.scope.split())
        requested = refresh_scope(form.get("scope"), granted)
        access = await self._access_of(grant.identity_id, grant.telegram_user_id, grant.subject)
        scopes = (requested if requested is not None else granted) & access.scopes
        successor = self.successor_of(old)
        issue, now = self._new_issue(successor)
        result = await self._store.rotate_refresh(
            old_hash,
            client_id=client.client_id,
            successor_hash=issue.refresh_hash,
            issue=issue,
            grace=self._refresh_grace,
        )
        if result.outcome is not Outcome.OK or result.grant is None:
            raise OAuthError(
                "invalid_grant", REFRESH_FAILURES.get(result.outcome, "The refresh token is not valid.")
            )
        return self._issue(issue, result.grant, scopes, successor, now)


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
