"""What the web pages get from the composition root, and the helpers every page uses.

``WebDeps`` is built once by ``app.py`` (the web layer never reaches for globals);
:func:`signed_in` turns the browser's cookie into a :class:`WebSession` only while
its identity still exists under the same subject; :func:`page` renders a template
with the headers a page needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from quart import Response, render_template, request

from mctltg.accounts import AccountDirectory, LoginManager
from mctltg.config import Settings
from mctltg.storage import Accounts, AuditLog, Identities
from mctltg.storage.web_sessions import WebSessions
from mctltg.web.headers import NO_STORE
from mctltg.web.session_cookie import COOKIE, SessionCodec, WebSession
from mctltg.web.tool_docs import ListTools

if TYPE_CHECKING:
    from mctltg.web.manage_clients import ClientAccess
    from mctltg.web.sandbox_aid import SandboxAid

#: One sentence saying why this identity may not use Telegram here, or None if it may.
TelegramRefusal = Callable[[int], Awaitable[str | None]]

__all__ = [
    "CONNECT_PATH",
    "MANAGE_PATH",
    "SIGNIN_PATH",
    "TelegramRefusal",
    "WebDeps",
    "end_browser_sessions",
    "page",
    "redirect",
    "signed_in",
    "signin_redirect",
]

CONNECT_PATH: Final = "/telegram/connect"
MANAGE_PATH: Final = "/telegram/connect/manage"
SIGNIN_PATH: Final = "/telegram/signin"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebDeps:
    """Everything the pages use.

    Attributes:
        settings: the server's settings (URLs, modes, limits shown on the pages).
        sessions: seals and opens the browser's session cookie.
        list_tools: the live MCP tool registry (``/docs``).
        operator_subject: the identity a local-development server acts for.
        telegram_refusal: with OAuth, the access-tier check every Telegram login step
            passes first (an unapproved person connects no account and asks for no code).
    """

    settings: Settings
    identities: Identities
    accounts: Accounts
    directory: AccountDirectory
    logins: LoginManager
    audit: AuditLog
    sessions: SessionCodec
    web_sessions: WebSessions
    list_tools: ListTools
    operator_subject: str
    #: Says why an identity may not connect Telegram (None: it may); None when everyone may.
    telegram_refusal: TelegramRefusal | None = None
    #: The sandbox's login codes and QR approval for the wizard; None unless TELEGRAM_SANDBOX.
    sandbox_aid: SandboxAid | None = None
    #: Who holds tokens for a person (the manage page's client list); None without OAuth.
    client_access: ClientAccess | None = None


async def signed_in(deps: WebDeps, cookies: Mapping[str, str] | None = None) -> WebSession | None:
    """The request's session, if its cookie is valid and still names a living identity.

    ``cookies``: the WebSocket handshake's cookies (default: the HTTP request's).
    """
    jar = request.cookies if cookies is None else cookies
    session = deps.sessions.read(jar.get(COOKIE))
    if session is None:
        return None
    identity = await deps.identities.get(session.identity_id)
    if identity is None or identity.subject != session.subject:
        return None
    ended = await deps.web_sessions.ended_at(identity.id)
    if ended is not None and session.issued_at <= ended:
        return None  # signed out everywhere since this cookie was issued
    return session


async def end_browser_sessions(deps: WebDeps, identity_id: int) -> None:
    """Sign ``identity_id`` out of every browser (sign-out, disconnect, delete)."""
    await deps.web_sessions.end_all(identity_id, at=deps.sessions.now())


def redirect(location: str, status: int = 303) -> Response:
    return Response("", status=status, headers={"Location": location, "Cache-Control": NO_STORE})


def signin_redirect(next_path: str) -> Response:
    return redirect(f"{SIGNIN_PATH}?next={quote(next_path, safe='/')}")


async def page(template: str, *, status: int = 200, cache: str = NO_STORE, **context: Any) -> Response:
    """Render ``template`` as an HTML response with ``Cache-Control: cache``."""
    body = await render_template(template, **context)
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = cache
    return response
