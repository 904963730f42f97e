"""The authorization server: registration, the authorization request, consent, tokens, revocation.

Framework-free: the web layer (``web/oauth_endpoints.py``) turns HTTP into calls on
:class:`AuthorizationServer` and its results back into HTTP. Protocol rules live in the
RFC modules (``rfc6749`` for the authorization request and the grants, ``rfc7009`` for
revocation, ...); this module sequences them over the store (``storage/oauth.py``):

- ``begin`` validates an authorization request (RFC 6749 §4.1.1 with OAuth 2.1's
  mandatory S256 PKCE, RFC 8707 ``resource``) and parks it server-side; the browser
  gets only an opaque handle (cookie) and the upstream OIDC leg gets its own state.
- ``approve`` records the person's consent; ``finish`` issues the code (10 minutes,
  single use, bound to client, redirect URI, challenge and resource) and the redirect
  back carrying ``code``, ``state`` and ``iss`` (RFC 9207).
- ``token`` hands token requests to ``rfc6749.TokenEndpoint`` (code redemption and
  refresh-token rotation); ``revoke`` to ``rfc7009``.
- Unauthenticated writes (registration, parked authorizations) pass ``admission``
  first; ``telegram_refusal`` says whether an identity may connect Telegram at all.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from mctltg.crypto import random_token, sha256_hex
from mctltg.errors import StorageError
from mctltg.oauth import cimd, rfc6749, rfc7009, rfc7591
from mctltg.oauth.admission import (
    AUTHORIZATION_WINDOW,
    AUTHORIZATIONS_PER_WINDOW,
    MAX_PARKED,
    MAX_UNUSED_CLIENTS,
    REGISTRATIONS_PER_HOUR,
    AddressLimiter,
    retry_sentence,
)
from mctltg.oauth.errors import AuthorizeError, OAuthError
from mctltg.oauth.rfc6749 import AUTHORIZATION_TTL, CODE_TTL, TokenResponse
from mctltg.oauth.rfc9068 import AccessClaims, AccessTokenCodec
from mctltg.oauth.scopes import DRAFT_SCOPES, SCOPES, SEND_SCOPES, format_scope, parse_scope
from mctltg.oauth.tiers import Access, TierPolicy
from mctltg.oauth.worker_tokens import WorkerTokens
from mctltg.storage import (
    AuthorizationRow,
    ClientRow,
    Identities,
    OAuthStore,
)

__all__ = [
    "CONSENT_LEVELS",
    "AuthorizationServer",
    "ConsentLevel",
    "ConsentView",
    "PendingSignIn",
    "ServerConfig",
    "TokenResponse",
]

REFRESH_GRACE: Final = 10.0
TELEGRAM_SCOPE_PREFIX: Final = "telegram:"

#: The consent screen's three levels: read only (the default), read and draft, read and send.
ConsentLevel = Literal["read", "draft", "send"]
CONSENT_LEVELS: Final[tuple[ConsentLevel, ...]] = ("read", "draft", "send")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    issuer: str
    resource: str
    access_token_ttl: float
    refresh_token_ttl: float
    allowed_redirect_hosts: frozenset[str] = frozenset()
    refresh_grace: float = REFRESH_GRACE


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingSignIn:
    """A parked authorization request: the browser's handle and the upstream leg's secrets."""

    browser_token: str
    upstream_state: str
    upstream_verifier: str
    upstream_nonce: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentView:
    """What the consent screen shows."""

    client_name: str
    #: For a client identified by its metadata document URL (CIMD): that URL's host, which is
    #: verified (the name is only what the document says). None for a registered client.
    client_host: str | None
    #: Where the browser goes next, punycode for a non-ASCII host (what the browser really visits).
    redirect_host: str
    #: Whether ``redirect_host`` was converted to punycode (the page says so).
    redirect_host_is_punycode: bool
    access: Access
    #: Requested scopes this person already granted this client (live grants): not asked again.
    kept: tuple[str, ...]
    #: The new scopes, in three levels; any of them may be empty.
    read_scopes: tuple[str, ...]
    #: The middle level, "read and draft": writes only into the person's own drafts.
    draft_scopes: tuple[str, ...]
    send_scopes: tuple[str, ...]
    csrf: str

    @property
    def levels(self) -> tuple[ConsentLevel, ...]:
        """The choices the page offers: each adds something new ("read" alone on a first request)."""
        offered: list[ConsentLevel] = []
        if self.read_scopes or not self.kept or not (self.draft_scopes or self.send_scopes):
            offered.append("read")
        if self.draft_scopes:
            offered.append("draft")
        if self.send_scopes:
            offered.append("send")
        return tuple(offered)

    @property
    def default_level(self) -> ConsentLevel:
        """Least privilege: the narrowest choice offered (read only, unless only writes are new)."""
        return self.levels[0]


class AuthorizationServer:
    """This server as its own OAuth 2.1 issuer (``AUTH_MODE=local-jwt``).

    Args:
        store: OAuth persistence.
        identities: the identity repository (subjects ``tg:<id>`` or ``<issuer>#<sub>``).
        codec: mints and verifies access tokens.
        policy: the settings' side of access tiers.
        config: issuer, resource and lifetimes.
        refresh_key: key for deriving refresh-token successors (the JWT key, domain-separated).
        workers: worker tokens, verified alongside grant-backed access tokens (None: refused).
        documents: fetches https client ids' metadata documents (CIMD); None turns CIMD off.
    """

    def __init__(
        self,
        *,
        store: OAuthStore,
        identities: Identities,
        codec: AccessTokenCodec,
        policy: TierPolicy,
        config: ServerConfig,
        refresh_key: bytes,
        workers: WorkerTokens | None = None,
        documents: cimd.ClientDocuments | None = None,
    ) -> None:
        self.store = store
        #: Worker tokens (``oauth/worker_tokens.py``): verified here too, by their own table.
        self.workers = workers
        #: Client ID Metadata Documents; None: only registered (RFC 7591) clients.
        self.documents = documents
        self.identities = identities
        self.codec = codec
        self.policy = policy
        self.config = config
        self._tokens = rfc6749.TokenEndpoint(
            store=store,
            codec=codec,
            access_of=self.access_of,
            issuer=config.issuer,
            resource=config.resource,
            access_token_ttl=config.access_token_ttl,
            refresh_token_ttl=config.refresh_token_ttl,
            refresh_grace=config.refresh_grace,
            successor_key=hmac.new(refresh_key, b"mctltg/refresh-successor/v1", hashlib.sha256).digest(),
        )
        self._upstream_key = hmac.new(refresh_key, b"mctltg/upstream-pkce/v1", hashlib.sha256).digest()
        self._registrations = AddressLimiter(limit=REGISTRATIONS_PER_HOUR, window=3600.0, clock=store.clock)
        self._parked = AddressLimiter(
            limit=AUTHORIZATIONS_PER_WINDOW, window=AUTHORIZATION_WINDOW, clock=store.clock
        )

    def __repr__(self) -> str:
        return f"<AuthorizationServer issuer={self.config.issuer!r}>"

    # -- registration (RFC 7591) ------------------------------------------------------

    async def register(self, body: bytes, *, client_address: str | None = None) -> dict[str, Any]:
        """Register a public client; returns the RFC 7591 §3.2.1 response body.

        ``client_address`` (the TCP peer) is rate-limited (``admission.py``); None is
        for callers that are not the network.

        Raises:
            OAuthError: the metadata is invalid or too large, or registrations are limited.
        """
        metadata = rfc7591.parse_registration(body, allowed_hosts=self.config.allowed_redirect_hosts)
        wait = None if client_address is None else self._registrations.admit(client_address)
        if wait is not None:
            raise OAuthError(
                "temporarily_unavailable",
                f"Too many client registrations from this address; {retry_sentence(wait)}.",
                status=429,
                retry_after=math.ceil(wait),
            )
        if await self.store.unused_clients() >= MAX_UNUSED_CLIENTS:
            raise OAuthError(
                "temporarily_unavailable",
                "Too many registered clients have not signed in yet; try again in an hour.",
                status=503,
                retry_after=3600,
            )
        client = await self.store.add_client(
            client_id=str(uuid.uuid4()),
            client_name=metadata.client_name,
            redirect_uris=metadata.redirect_uris,
            grant_types=metadata.grant_types,
            scope=metadata.scope,
        )
        response: dict[str, Any] = {
            "client_id": client.client_id,
            "client_id_issued_at": int(client.created_at),
            "redirect_uris": list(client.redirect_uris),
            "grant_types": list(client.grant_types),
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        if client.client_name:
            response["client_name"] = client.client_name
        if client.scope:
            response["scope"] = client.scope
        return response

    # -- the authorization request ----------------------------------------------------

    async def client_and_redirect(
        self, params: Mapping[str, list[str]], *, client_address: str | None = None
    ) -> tuple[ClientRow, str]:
        """The client and the verified redirect URI, or an error that must NOT redirect.

        A client_id that is an https URL is a Client ID Metadata Document (``cimd.py``):
        its document is fetched (or taken from the cache), and the client row is written
        from it, so the rest of the flow treats it as any registered client.

        Raises:
            AuthorizeError: with ``redirect=False``.
        """
        try:
            client_id = rfc6749.single(params, "client_id")
            redirect_uri = rfc6749.single(params, "redirect_uri")
        except AuthorizeError as exc:
            raise AuthorizeError(exc.error, exc.description, redirect=False) from None
        client: ClientRow | None
        if client_id and self.documents is not None and cimd.is_metadata_url(client_id):
            client = await self._document_client(client_id, client_address)
        else:
            client = await self.store.client(client_id) if client_id else None
        if client is None:
            raise AuthorizeError(
                "invalid_request",
                "The client_id is missing or unknown to this server; the client must register first.",
                redirect=False,
            )
        redirect_uri = rfc6749.match_redirect_uri(client.redirect_uris, redirect_uri)
        return client, redirect_uri

    async def _document_client(self, client_id: str, client_address: str | None) -> ClientRow:
        assert self.documents is not None
        try:
            document = await self.documents.resolve(client_id, client_address=client_address)
            if await self.store.client(client_id) is None and (
                await self.store.unused_clients() >= MAX_UNUSED_CLIENTS
            ):
                raise OAuthError(
                    "temporarily_unavailable",
                    "Too many clients have not signed in yet; try again in an hour.",
                )
        except OAuthError as exc:
            raise AuthorizeError(exc.error, exc.description, redirect=False) from None
        metadata = document.metadata
        return await self.store.put_client(
            client_id=client_id,
            client_name=metadata.client_name,
            redirect_uris=metadata.redirect_uris,
            grant_types=metadata.grant_types,
            scope=metadata.scope,
        )

    async def begin(
        self, params: Mapping[str, list[str]], *, client_address: str | None = None
    ) -> PendingSignIn:
        """Validate an authorization request and park it until sign-in and consent.

        Parking is rate-limited per ``client_address`` and in total (``admission.py``).

        Raises:
            AuthorizeError: ``redirect=False`` for client/redirect problems (show a page),
                otherwise send the error to the redirect URI.
        """
        client, redirect_uri = await self.client_and_redirect(params, client_address=client_address)
        request = rfc6749.parse_authorization_request(
            params, redirect_uri=redirect_uri, default_resource=self.config.resource
        )
        wait = None if client_address is None else self._parked.admit(client_address)
        if wait is not None:
            raise AuthorizeError(
                "temporarily_unavailable",
                f"Too many sign-ins started from this address; {retry_sentence(wait)}.",
            )
        if await self.store.parked_authorizations() >= MAX_PARKED:
            raise AuthorizeError(
                "temporarily_unavailable",
                "Too many sign-ins are in progress on this server; try again shortly.",
            )
        upstream_state = random_token()
        pending = PendingSignIn(
            browser_token=random_token(),
            upstream_state=upstream_state,
            upstream_verifier=self.upstream_verifier(upstream_state),
            upstream_nonce=random_token(),
        )
        await self.store.begin_authorization(
            browser_hash=sha256_hex(pending.browser_token),
            upstream_state_hash=sha256_hex(pending.upstream_state),
            client_id=client.client_id,
            redirect_uri=request.redirect_uri,
            state=request.state,
            code_challenge=request.code_challenge,
            scope=request.scope,
            resource=request.resource,
            upstream_nonce=pending.upstream_nonce,
            csrf=random_token(),
            lifetime=AUTHORIZATION_TTL,
        )
        return pending

    def error_redirect(self, redirect_uri: str, error: AuthorizeError, state: str | None) -> str:
        """The redirect carrying an authorization error (§4.1.2.1), with ``iss`` (RFC 9207)."""
        return rfc6749.error_redirect(redirect_uri, error, state, issuer=self.config.issuer)

    async def pending(self, browser_token: str | None) -> AuthorizationRow | None:
        """The authorization the browser holding ``browser_token`` is in, if any."""
        if not browser_token:
            return None
        return await self.store.authorization_by_browser(sha256_hex(browser_token))

    async def by_upstream_state(self, state: str | None) -> AuthorizationRow | None:
        if not state:
            return None
        return await self.store.authorization_by_upstream_state(sha256_hex(state))

    async def signed_in(
        self,
        authorization: AuthorizationRow,
        *,
        telegram_user_id: int | None = None,
        display_name: str,
        subject: str | None = None,
    ) -> int:
        """Record who signed in upstream; returns their identity id.

        The identity is ``subject`` (``<issuer>#<sub>`` for a provider other than
        Telegram's), else ``tg:<telegram_user_id>``.

        Raises:
            StorageError: the identity cannot be recorded (its Telegram id belongs to another).
        """
        if subject is None:
            assert telegram_user_id is not None
            subject = f"tg:{telegram_user_id}"
        identity = await self.identities.sign_in(
            subject, display_name=display_name, telegram_user_id=telegram_user_id
        )
        await self.store.signed_in(authorization.id, identity.id)
        return identity.id

    async def abandon(self, authorization: AuthorizationRow, error: AuthorizeError) -> str:
        """Drop a parked authorization; returns the error redirect that tells its client (§4.1.2.1)."""
        await self.store.drop_authorization(authorization.id)
        return self.error_redirect(authorization.redirect_uri, error, authorization.state)

    # -- consent --------------------------------------------------------------------------

    async def access_of(
        self, identity_id: int, telegram_user_id: int | None, subject: str | None = None
    ) -> Access:
        decision = await self.store.access(identity_id)
        return self.policy.access(
            telegram_user_id,
            subject=subject,
            granted_tier=decision.tier if decision else None,
            granted_scopes=decision.scopes if decision else None,
        )

    async def allowed_scopes(self, subject: str) -> frozenset[str]:
        """The scopes the tier of the identity ``subject`` allows right now (none if it is unknown)."""
        identity = await self.identities.by_subject(subject)
        if identity is None:
            return frozenset()
        return (await self.access_of(identity.id, identity.telegram_user_id)).scopes

    async def telegram_refusal(self, identity_id: int) -> str | None:
        """Why this identity may not connect a Telegram account here, or None if it may.

        Connecting an account, and the login codes it makes Telegram send, need a tier
        that holds Telegram scopes; checked before every Telegram login step.
        """
        identity = await self.identities.get(identity_id)
        if identity is None:
            return "This sign-in no longer exists; sign in again."
        access = await self.access_of(identity.id, identity.telegram_user_id, identity.subject)
        if any(scope.startswith(TELEGRAM_SCOPE_PREFIX) for scope in access.scopes):
            return None
        return access.message or "This server's operator has not approved you to use Telegram here yet."

    async def consent_view(self, authorization: AuthorizationRow) -> ConsentView:
        assert authorization.identity_id is not None
        identity = await self.identities.get(authorization.identity_id)
        client = await self.store.client(authorization.client_id)
        if identity is None or client is None:
            raise StorageError("the sign-in or the client is gone; start again from the client")
        access = await self.access_of(identity.id, identity.telegram_user_id, identity.subject)
        requested = self._requested(authorization) & access.scopes
        kept = requested & await self.store.granted_scopes(identity.id, client.client_id)
        offered = requested - kept
        redirect_host, punycode = rfc7591.ascii_netloc(authorization.redirect_uri)
        return ConsentView(
            client_name=client.client_name or "An unnamed client",
            client_host=(
                urlsplit(client.client_id).hostname if cimd.is_metadata_url(client.client_id) else None
            ),
            redirect_host=redirect_host,
            redirect_host_is_punycode=punycode,
            access=access,
            kept=tuple(s for s in SCOPES if s in kept),
            read_scopes=tuple(s for s in SCOPES if s in offered - SEND_SCOPES - DRAFT_SCOPES),
            draft_scopes=tuple(s for s in SCOPES if s in offered & DRAFT_SCOPES),
            send_scopes=tuple(s for s in SCOPES if s in offered & SEND_SCOPES),
            csrf=authorization.csrf,
        )

    @staticmethod
    def _requested(authorization: AuthorizationRow) -> frozenset[str]:
        return parse_scope(authorization.scope) or frozenset(SCOPES)

    async def approve(
        self, authorization: AuthorizationRow, *, level: ConsentLevel, resume_path: str | None = None
    ) -> str:
        """Record consent at one of three levels; returns the granted scope string.

        ``read`` grants the read scopes, ``draft`` adds the drafts scope, ``send`` adds
        the send scopes too (drafts included: whoever may send may also only draft).
        The grant is what was requested, narrowed by the person's choice and by their
        tier right now: the consent screen showed exactly this. Scopes this person already
        granted this client (``ConsentView.kept``) stay granted whatever the level.
        """
        view = await self.consent_view(authorization)
        granted = set(view.kept) | set(view.read_scopes)
        if level in ("draft", "send"):
            granted |= set(view.draft_scopes)
        if level == "send":
            granted |= set(view.send_scopes)
        scope = format_scope(granted)
        await self.store.approved(authorization.id, scope, resume_path)
        return scope

    async def deny(self, authorization: AuthorizationRow) -> str:
        return await self.abandon(
            authorization, AuthorizeError("access_denied", "The person declined the request.")
        )

    async def finish(self, authorization: AuthorizationRow) -> str:
        """Issue the code for an approved authorization; returns the redirect back to the client."""
        code = random_token()
        issued = await self.store.issue_code(authorization.id, code_hash=sha256_hex(code), lifetime=CODE_TTL)
        return rfc6749.code_redirect(issued.redirect_uri, code, issued.state, issuer=self.config.issuer)

    # -- the token endpoint (RFC 6749 §4.1.3, §6) -------------------------------------

    async def token(self, form: Mapping[str, str]) -> TokenResponse:
        """Answer a token request (``rfc6749.TokenEndpoint``).

        Raises:
            OAuthError: per RFC 6749 §5.2.
        """
        return await self._tokens.token(form)

    def successor_of(self, refresh_token: str) -> str:
        return self._tokens.successor_of(refresh_token)

    def upstream_verifier(self, upstream_state: str) -> str:
        """The PKCE verifier of the upstream sign-in whose state is ``upstream_state``.

        Derived, never stored: a database reader holding a parked authorization (and a
        code intercepted on its way back) still cannot redeem it at the provider.
        """
        return hmac.new(self._upstream_key, upstream_state.encode(), hashlib.sha256).hexdigest()

    # -- revocation (RFC 7009) and verification ---------------------------------------

    async def revoke(self, form: Mapping[str, str]) -> None:
        """Revoke the grant behind a refresh or access token (§2.1); unknown tokens are ignored (§2.2).

        Raises:
            OAuthError: no token was given, or the client is unknown.
        """
        await rfc7009.revoke(
            rfc7009.parse_revocation(form), codec=self.codec, store=self.store, audience=self.config.resource
        )

    async def verify_access(self, token: str) -> AccessClaims | None:
        """The claims of a valid, unrevoked access token for this server's resource; else None."""
        claims = self.codec.verify(token, audience=self.config.resource, now=self.store.clock())
        if claims is not None and claims.purpose is not None:  # a worker token: no grant behind it
            return None if self.workers is None else await self.workers.verify(claims)
        if claims is None or not await self.store.access_token_live(claims.jti):
            return None
        return claims
