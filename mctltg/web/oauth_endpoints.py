"""HTTP for the authorization server: discovery, registration, authorize, sign-in, consent, tokens.

A thin adapter: every rule lives in ``mctltg.oauth``; this module only moves values
between Quart requests and :class:`~mctltg.oauth.AuthorizationServer`.

The browser's part of an authorization is a chain of pages, and the request being
authorized stays server-side the whole time. The browser holds one opaque handle in an
``HttpOnly`` cookie scoped to ``/oauth``::

    /oauth/authorize  → (Telegram OIDC sign-in) → /oauth/telegram/callback
      → /oauth/consent (GET shows, POST decides)
      → [inserted step, e.g. the Telegram connect wizard, which ends by sending the
         browser to /oauth/authorize/continue]
      → the client's redirect URI with code, state and iss

The seam for the connect wizard: when ``connect_path`` is configured and the signed-in
identity has no Telegram account, consent stores ``resume_path`` (the continuation)
with the authorization and sends the browser to ``connect_path``; the wizard finishes
by redirecting to :data:`CONTINUE_PATH` (or to whatever
:func:`pending_continuation` returns), which issues the code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final
from urllib.parse import urlsplit

from quart import Blueprint, Response, render_template, request
from werkzeug.datastructures import MultiDict

from mctltg.crypto import constant_time_equal
from mctltg.errors import StorageError
from mctltg.oauth import (
    AuthorizationServer,
    AuthorizeError,
    OAuthError,
    OidcClient,
    OidcError,
    OidcUnavailable,
)
from mctltg.oauth.errors import OAuthErrorCode
from mctltg.oauth.rfc7591 import MAX_BODY_BYTES, ascii_netloc
from mctltg.oauth.rfc8414 import AUTHORIZE_PATH, REGISTER_PATH, REVOKE_PATH, TOKEN_PATH, server_metadata
from mctltg.oauth.rfc8414 import WELL_KNOWN as AS_WELL_KNOWN
from mctltg.oauth.scopes import (
    ACCOUNT_MANAGE,
    ADMIN_USERS,
    ADMIN_USERS_READ,
    DIALOGS_READ,
    DRAFTS_WRITE,
    MESSAGES_PIN,
    MESSAGES_READ,
    MESSAGES_SEND,
    SEND_SCOPES,
)
from mctltg.oauth.server import CONSENT_LEVELS, ConsentLevel
from mctltg.storage import AuthorizationRow

__all__ = ["CALLBACK_PATH", "CONSENT_PATH", "CONTINUE_PATH", "oauth_blueprint", "pending_continuation"]

logger = logging.getLogger(__name__)

CALLBACK_PATH: Final = "/oauth/telegram/callback"
CONSENT_PATH: Final = "/oauth/consent"
CONTINUE_PATH: Final = "/oauth/authorize/continue"
COOKIE: Final = "mctltg_authorization"

_JSON_HEADERS: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_CORS_PATHS: Final = (TOKEN_PATH, REGISTER_PATH, REVOKE_PATH, "/.well-known/")
_SCOPE_LABELS: Final = {
    DIALOGS_READ: "see your chats, groups and channels",
    MESSAGES_READ: "read messages in them",
    DRAFTS_WRITE: "save drafts in your chats (you send them yourself)",
    MESSAGES_SEND: "send messages as you",
    MESSAGES_PIN: "pin and unpin messages",
    ACCOUNT_MANAGE: "manage the Telegram connection (status, disconnect)",
    ADMIN_USERS: "approve or refuse other people on this server, switch their sends, end their sessions",
    ADMIN_USERS_READ: "see who uses this server and their audit logs",
}

_STATE_MISMATCH: Final = (
    "The sign-in came back for another authorization than this browser's; start again from the client."
)
_NOT_ADMITTED: Final = "This sign-in cannot be admitted on this server; ask its operator."
#: Upstream errors passed on as they are (the provider is down); any other refusal is access_denied.
_PASSED_ON: Final[frozenset[OAuthErrorCode]] = frozenset({"temporarily_unavailable", "server_error"})

#: Whether an identity (by id) already has a usable Telegram account.
HasAccount = Callable[[int], Awaitable[bool]]
#: Finishes a sign-in callback that is not part of an authorization; None if it is not its own either.
OtherSignIn = Callable[[], Awaitable[Response | None]]


def _consent_level(value: str | None) -> ConsentLevel:
    """The level the consent form chose; anything unexpected is the narrowest, read only."""
    for level in CONSENT_LEVELS:
        if value == level:
            return level
    return "read"


def _upstream_refusal(error: str | None) -> tuple[OAuthErrorCode, str]:
    """The error to send the client when the provider came back without a code."""
    for code in _PASSED_ON:
        if error == code:
            return code, "The sign-in provider could not sign you in right now; try again shortly."
    return "access_denied", "Sign-in at the provider was cancelled or refused."


def _json(body: dict[str, Any], status: int = 200) -> Response:
    response = Response(status=status, content_type="application/json")
    response.set_data(json.dumps(body))
    response.headers.update(_JSON_HEADERS)
    return response


def redirect(location: str, status: int = 302) -> Response:
    """A redirect (Quart's own helper returns a werkzeug response type)."""
    return Response("", status=status, headers={"Location": location, "Cache-Control": "no-store"})


def _oauth_error(exc: OAuthError) -> Response:
    response = _json(exc.body(), exc.status)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _single_values(form: MultiDict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key in form:
        items = form.getlist(key)
        if len(items) > 1:
            raise OAuthError("invalid_request", f"The {key} parameter was given more than once.")
        values[key] = items[0]
    return values


def _page_headers(response: Response, *, form_target: str | None = None) -> Response:
    form_action = "'self'" + (f" {form_target}" if form_target else "")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self'; img-src 'self'; form-action {form_action}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


async def _error_page(title: str, message: str, status: int) -> Response:
    body = await render_template("oauth_error.html", title=title, message=message)
    return _page_headers(Response(body, status=status, content_type="text/html; charset=utf-8"))


def _origin(uri: str) -> str:
    """The origin a form may post to, host in punycode (a CSP source must be ASCII)."""
    netloc, _ = ascii_netloc(uri)
    return f"{urlsplit(uri).scheme}://{netloc}"


async def pending_continuation(server: AuthorizationServer, browser_token: str | None) -> str | None:
    """Where a browser in the middle of an authorization continues, if it is waiting for one.

    For steps inserted after consent (the connect wizard): returns the stored
    ``resume_path`` of the browser's approved authorization, else None.
    """
    authorization = await server.pending(browser_token)
    if authorization is None or authorization.stage != "approved":
        return None
    return authorization.resume_path or CONTINUE_PATH


def oauth_blueprint(
    *,
    server: AuthorizationServer,
    oidc: OidcClient,
    protected_resource_paths: tuple[str, ...],
    protected_resource_document: dict[str, Any],
    secure_cookies: bool,
    connect_path: str | None = None,
    has_account: HasAccount | None = None,
    other_signin: OtherSignIn | None = None,
) -> Blueprint:
    """The OAuth endpoints as a Quart blueprint.

    Args:
        server: the authorization server.
        oidc: the upstream sign-in client.
        protected_resource_paths: where RFC 9728 metadata is served.
        protected_resource_document: that metadata.
        secure_cookies: mark the browser cookie ``Secure`` (https deployments).
        connect_path: the Telegram connect wizard's entry, when it exists.
        has_account: tells whether an identity has a Telegram account (needed with ``connect_path``).
        other_signin: answers a callback that belongs to no authorization (the web pages'
            own sign-in, ``web/signin.py``), or returns None.
    """
    blueprint = Blueprint("oauth", __name__, template_folder="templates")
    issuer = server.config.issuer

    @blueprint.after_request
    async def cors(response: Response) -> Response:
        if request.path.startswith(_CORS_PATHS):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Headers"] = (
                "Authorization, Content-Type, MCP-Protocol-Version"
            )
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        return response

    # -- discovery ----------------------------------------------------------------------

    @blueprint.get(AS_WELL_KNOWN)
    async def authorization_server_metadata() -> Response:
        return _json(server_metadata(issuer, client_id_metadata_documents=server.documents is not None))

    async def protected_resource_metadata() -> Response:
        return _json(protected_resource_document)

    for index, path in enumerate(protected_resource_paths):
        blueprint.add_url_rule(
            path, f"protected_resource_{index}", protected_resource_metadata, methods=["GET"]
        )

    # -- registration -------------------------------------------------------------------

    @blueprint.post(REGISTER_PATH)
    async def register() -> Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _oauth_error(
                OAuthError(
                    "invalid_request",
                    f"The registration request is larger than {MAX_BODY_BYTES} bytes.",
                    status=413,
                )
            )
        try:
            raw = await request.get_data(cache=False)
            body = await server.register(
                raw if isinstance(raw, bytes) else raw.encode(), client_address=request.remote_addr or "?"
            )
        except OAuthError as exc:
            return _oauth_error(exc)
        return _json(body, 201)

    # -- the browser's path -------------------------------------------------------------

    @blueprint.get(AUTHORIZE_PATH)
    async def authorize() -> Response:
        params = {key: request.args.getlist(key) for key in request.args}
        try:
            client, redirect_uri = await server.client_and_redirect(
                params, client_address=request.remote_addr or "?"
            )
        except AuthorizeError as exc:
            return await _error_page("This sign-in link is not valid", exc.description, 400)
        state_values = params.get("state") or []
        state = state_values[0] if len(state_values) == 1 else None
        try:
            pending = await server.begin(params, client_address=request.remote_addr or "?")
            target = await oidc.authorization_url(
                state=pending.upstream_state, nonce=pending.upstream_nonce, verifier=pending.upstream_verifier
            )
        except AuthorizeError as exc:
            return redirect(server.error_redirect(redirect_uri, exc, state))
        except OidcError as exc:
            logger.warning("sign-in provider unavailable for client %s: %s", client.client_id, exc)
            error = AuthorizeError(
                "temporarily_unavailable", "The Telegram sign-in service is unavailable; try again shortly."
            )
            return redirect(server.error_redirect(redirect_uri, error, state))
        response = redirect(target)
        response.set_cookie(
            COOKIE,
            pending.browser_token,
            max_age=900,
            path="/oauth",
            httponly=True,
            secure=secure_cookies,
            samesite="Lax",
        )
        return response

    @blueprint.get(CALLBACK_PATH)
    async def signed_in() -> Response:
        authorization = await server.by_upstream_state(request.args.get("state"))
        mine = await server.pending(request.cookies.get(COOKIE))
        if authorization is None and other_signin is not None and (answer := await other_signin()):
            return answer
        # Once a parked authorization is known, so is its client's verified redirect URI:
        # every failure from here on goes back to the client (RFC 6749 §4.1.2.1), which
        # otherwise waits for a code until it times out.
        waiting = next((a for a in (mine, authorization) if a is not None and a.stage == "signin"), None)
        if waiting is None:
            return await _error_page(
                "This sign-in expired",
                "Start again from your MCP client (connect or sign in there once more).",
                400,
            )
        if authorization is None or mine is None or mine.id != authorization.id:
            return await _fail(waiting, "access_denied", _STATE_MISMATCH)
        if request.args.get("error") or not request.args.get("code"):
            return await _fail(authorization, *_upstream_refusal(request.args.get("error")))
        try:
            person = await oidc.exchange(
                code=request.args["code"],
                verifier=server.upstream_verifier(request.args["state"]),
                nonce=authorization.upstream_nonce,
            )
        except OidcUnavailable as exc:
            logger.warning("sign-in provider unavailable for client %s: %s", authorization.client_id, exc)
            return await _fail(authorization, "temporarily_unavailable", str(exc))
        except OidcError as exc:
            logger.warning("sign-in refused for client %s: %s", authorization.client_id, exc)
            return await _fail(authorization, "access_denied", str(exc))
        try:
            await server.signed_in(
                authorization,
                subject=person.subject,
                telegram_user_id=person.telegram_user_id,
                display_name=person.display_name,
            )
        except StorageError as exc:
            logger.warning("sign-in not admitted for client %s: %s", authorization.client_id, exc)
            return await _fail(authorization, "access_denied", _NOT_ADMITTED)
        return redirect(CONSENT_PATH, 303)

    async def _fail(authorization: AuthorizationRow, error: OAuthErrorCode, description: str) -> Response:
        """End ``authorization`` and send the browser back to its client with the error."""
        response = redirect(await server.abandon(authorization, AuthorizeError(error, description)), 303)
        response.delete_cookie(COOKIE, path="/oauth")
        return response

    @blueprint.get(CONSENT_PATH)
    async def consent() -> Response:
        authorization = await server.pending(request.cookies.get(COOKIE))
        if authorization is None or authorization.stage != "consent":
            return await _error_page(
                "Nothing to approve",
                "This approval expired or was already answered; start again from your MCP client.",
                400,
            )
        view = await server.consent_view(authorization)
        body = await render_template(
            "oauth_consent.html",
            view=view,
            labels=_SCOPE_LABELS,
            send_possible=bool(view.send_scopes),
            draft_possible=bool(view.draft_scopes),
            send_scopes=SEND_SCOPES,
        )
        return _page_headers(
            Response(body, content_type="text/html; charset=utf-8"),
            form_target=_origin(authorization.redirect_uri),
        )

    @blueprint.post(CONSENT_PATH)
    async def decide() -> Response:
        authorization = await server.pending(request.cookies.get(COOKIE))
        form = await request.form
        if (
            authorization is None
            or authorization.stage != "consent"
            or not constant_time_equal(form.get("csrf", ""), authorization.csrf)
        ):
            return await _error_page(
                "Nothing to approve",
                "This approval expired or was already answered; start again from your MCP client.",
                400,
            )
        if form.get("decision") != "approve":
            return redirect(await server.deny(authorization), 303)
        assert authorization.identity_id is not None
        # The detour through the connect wizard only for someone allowed to connect Telegram:
        # an unapproved person finishes the authorization and never reaches a login step.
        wizard = (
            connect_path is not None
            and has_account is not None
            and not await has_account(authorization.identity_id)
            and await server.telegram_refusal(authorization.identity_id) is None
        )
        await server.approve(
            authorization,
            level=_consent_level(form.get("access")),
            resume_path=CONTINUE_PATH if wizard else None,
        )
        if wizard:
            assert connect_path is not None
            return redirect(connect_path, 303)
        return await _finish(authorization.id)

    async def _finish(authorization_id: int) -> Response:
        approved = await server.pending(request.cookies.get(COOKIE))
        if approved is None or approved.id != authorization_id:
            return await _error_page(
                "Nothing to finish", "This authorization expired; start again from your MCP client.", 400
            )
        response = redirect(await server.finish(approved), 303)
        response.delete_cookie(COOKIE, path="/oauth")
        return response

    @blueprint.get(CONTINUE_PATH)
    async def resume() -> Response:
        authorization = await server.pending(request.cookies.get(COOKIE))
        if authorization is None or authorization.stage != "approved":
            return await _error_page(
                "Nothing to finish", "This authorization expired; start again from your MCP client.", 400
            )
        return await _finish(authorization.id)

    # -- the client's back channel --------------------------------------------------------

    @blueprint.post(TOKEN_PATH)
    async def token() -> Response:
        try:
            form = _single_values(await request.form)
            issued = await server.token(form)
        except OAuthError as exc:
            return _oauth_error(exc)
        return _json(issued.body)

    @blueprint.post(REVOKE_PATH)
    async def revoke() -> Response:
        try:
            await server.revoke(_single_values(await request.form))
        except OAuthError as exc:
            return _oauth_error(exc)
        return _json({})

    return blueprint
