"""Who is at the browser: sign-in for the connect wizard and the manage page.

No second login system: a person proves who they are the same way the OAuth flow
has them do it, at the Telegram OIDC provider. ``/telegram/signin`` starts that leg
with its own state, PKCE verifier and nonce (kept in a short-lived sealed cookie);
the provider returns to the OAuth callback (the one redirect URI the operator
registers), which hands requests that are not part of an OAuth authorization to
:meth:`WebSignIn.finish`. That verifies the id_token and sets the web session.

Two other ways in:

* the OAuth detour (``/oauth/connect``): consent was approved by someone with no
  Telegram account; their authorization, found by the OAuth cookie, already proves
  the identity, so the wizard session is made from it, and remembers to return to
  the MCP client at the end;
* operator mode (``AUTH_MODE=local-dev`` or ``AUTH_REQUIRED=false``): whoever reaches
  the server is the operator, as on ``/mcp``; there is no one to sign in.
"""

from __future__ import annotations

import logging
from typing import Final

from quart import Blueprint, Response, request

from mctltg.crypto import constant_time_equal
from mctltg.errors import StorageError
from mctltg.oauth import AuthorizationServer, OidcClient, OidcError
from mctltg.oauth.scopes import SEND_SCOPES
from mctltg.storage import Identities
from mctltg.web.context import (
    CONNECT_PATH,
    SIGNIN_PATH,
    WebDeps,
    end_browser_sessions,
    page,
    redirect,
    signed_in,
)
from mctltg.web.oauth_endpoints import CALLBACK_PATH
from mctltg.web.oauth_endpoints import COOKIE as OAUTH_COOKIE
from mctltg.web.session_cookie import SIGNIN_COOKIE, SessionCodec, WebSession

__all__ = ["HANDOFF_PATH", "WebSignIn", "safe_next", "signin_blueprint"]

logger = logging.getLogger(__name__)

#: Where OAuth consent sends someone who has no Telegram account yet (``connect_path``).
HANDOFF_PATH: Final = "/oauth/connect"
SIGNOUT_PATH: Final = "/telegram/signout"


def safe_next(value: str | None) -> str:
    """A local wizard path to continue at; anything else (another site, odd paths) → the wizard."""
    if value and value.startswith("/telegram/") and "//" not in value and "\\" not in value:
        return value
    return CONNECT_PATH


class WebSignIn:
    """The browser side of signing in; see the module docstring."""

    def __init__(
        self,
        *,
        sessions: SessionCodec,
        identities: Identities,
        oidc: OidcClient | None,
        operator_subject: str,
    ) -> None:
        self._sessions = sessions
        self._identities = identities
        self._oidc = oidc
        self._operator_subject = operator_subject

    def __repr__(self) -> str:
        return "<WebSignIn>"

    @property
    def uses_oidc(self) -> bool:
        """False in operator mode: the operator is not signed in, they simply are."""
        return self._oidc is not None

    async def start(self, next_path: str) -> Response:
        if self._oidc is None:
            return await self._operator(next_path)
        pending = self._sessions.new_signin(next_path)
        try:
            target = await self._oidc.authorization_url(
                state=pending.state, nonce=pending.nonce, verifier=pending.verifier
            )
        except OidcError as exc:
            logger.warning("web sign-in: the provider is unavailable: %s", exc)
            return await page(
                "message.html",
                status=503,
                title="Telegram sign-in is unavailable",
                message="The Telegram sign-in service did not answer; try again in a minute.",
            )
        return self._sessions.store_signin(redirect(target, 302), pending, path=CALLBACK_PATH)

    async def finish(self) -> Response | None:
        """Finish a web sign-in at the OIDC callback; None when the callback is not one of ours."""
        sessions, oidc = self._sessions, self._oidc
        pending = sessions.read_signin(request.cookies.get(SIGNIN_COOKIE))
        state = request.args.get("state") or ""
        if pending is None or oidc is None or not constant_time_equal(state, pending.state):
            return None
        code = request.args.get("code")
        if request.args.get("error") or not code:
            response = await page(
                "message.html",
                status=400,
                title="Sign-in cancelled",
                message="Telegram sign-in was cancelled; nothing changed.",
                action_href=SIGNIN_PATH,
                action_label="Sign in again",
            )
            return sessions.clear_signin(response, path=CALLBACK_PATH)
        try:
            person = await oidc.exchange(code=code, verifier=pending.verifier, nonce=pending.nonce)
            identity = await self._identities.sign_in(
                person.subject, display_name=person.display_name, telegram_user_id=person.telegram_user_id
            )
        except (OidcError, StorageError) as exc:
            logger.warning("web sign-in failed: %s", exc)
            response = await page(
                "message.html",
                status=502,
                title="Telegram sign-in failed",
                message=str(exc),
                action_href=SIGNIN_PATH,
                action_label="Try again",
            )
            return sessions.clear_signin(response, path=CALLBACK_PATH)
        session = sessions.new(identity_id=identity.id, subject=identity.subject)
        response = sessions.store(redirect(safe_next(pending.next_path)), session)
        return sessions.clear_signin(response, path=CALLBACK_PATH)

    async def _operator(self, next_path: str) -> Response:
        identity = await self._identities.ensure(self._operator_subject)
        session = self._sessions.new(identity_id=identity.id, subject=identity.subject)
        return self._sessions.store(redirect(safe_next(next_path)), session)

    async def handoff(self, oauth: AuthorizationServer | None) -> Response:
        """The OAuth detour: make the wizard session from an approved authorization."""
        authorization = None
        if oauth is not None:
            authorization = await oauth.pending(request.cookies.get(OAUTH_COOKIE))
        if authorization is None or authorization.stage != "approved" or authorization.identity_id is None:
            return await page(
                "message.html",
                status=400,
                title="Nothing to connect",
                message="This authorization expired or was already finished; start again from your client.",
            )
        identity = await self._identities.get(authorization.identity_id)
        client = await oauth.store.client(authorization.client_id) if oauth is not None else None
        if identity is None:
            return await page(
                "message.html",
                status=400,
                title="Nothing to connect",
                message="This sign-in is gone; start again from your MCP client.",
            )
        granted = set((authorization.granted_scope or "").split())
        session = self._sessions.new(
            identity_id=identity.id,
            subject=identity.subject,
            send=bool(granted & SEND_SCOPES),
            oauth_client=(client.client_name if client else None) or "your MCP client",
        )
        return self._sessions.store(redirect(CONNECT_PATH), session)


def signin_blueprint(deps: WebDeps, signin: WebSignIn, *, oauth: AuthorizationServer | None) -> Blueprint:
    """Sign-in, sign-out and the OAuth detour's entry (``oauth``: the authorization server, if any)."""
    blueprint = Blueprint("signin", __name__)

    @blueprint.get(SIGNIN_PATH)
    async def signin_page() -> Response:
        next_path = safe_next(request.args.get("next"))
        if await signed_in(deps) is not None:
            return redirect(next_path)
        if not signin.uses_oidc:
            return await signin.start(next_path)
        return await page("signin.html", next_path=next_path, nav="connect")

    @blueprint.get(SIGNIN_PATH + "/start")
    async def signin_start() -> Response:
        return await signin.start(safe_next(request.args.get("next")))

    @blueprint.get(HANDOFF_PATH)
    async def handoff() -> Response:
        return await signin.handoff(oauth)

    @blueprint.post(SIGNOUT_PATH)
    async def signout() -> Response:
        session: WebSession | None = await signed_in(deps)
        form = await request.form
        if session is not None and session.csrf_ok(form.get("csrf")):
            await end_browser_sessions(deps, session.identity_id)  # copies of the cookie too
            return deps.sessions.clear(redirect("/"))
        return redirect("/")

    return blueprint
