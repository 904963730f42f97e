"""The browser's session for the connect wizard and the manage page: one sealed cookie.

A person's browser holds who they are (an identity, proven by the Telegram OIDC
sign-in, by an approved OAuth authorization, or by being the operator of a
local-development server) and where they are in the wizard. Nothing is stored
server-side for it: the cookie is sealed (XChaCha20-Poly1305 through
:class:`~mctltg.crypto.Sealer`, under a key derived from ``ENCRYPTION_KEY`` for this
purpose only), so it can be neither read nor forged, and it expires on its own.

Signing out, disconnecting or deleting ends *every* session of the identity, copies
of the cookie included: the moment is recorded (``storage/web_sessions.py``) and any
cookie issued at or before it is refused.

It is bound to the identity: it names the identity's row id *and* subject, and a
request whose identity no longer exists, or whose row now belongs to another subject,
is signed out. The cookie is ``HttpOnly``, ``SameSite=Lax``, ``Secure`` on https
deployments, and scoped to ``/telegram``. Each session carries a random CSRF token
that every form posts back (:meth:`WebSession.csrf_ok`); a cross-site page can neither
read it nor make the browser send it.

A second, short-lived sealed cookie holds an upstream sign-in in flight (state, PKCE
verifier, nonce, where to go next), scoped to the OIDC callback path.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Final

from quart import Response

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.crypto import Sealer, constant_time_equal, random_token
from mctltg.errors import SealError

__all__ = [
    "COOKIE",
    "COOKIE_PATH",
    "SESSION_TTL",
    "SIGNIN_COOKIE",
    "PendingWebSignIn",
    "SessionCodec",
    "WebSession",
]

COOKIE: Final = "mctltg_web"
COOKIE_PATH: Final = "/telegram"
SIGNIN_COOKIE: Final = "mctltg_web_signin"
#: A web session lasts this long from sign-in (seconds); then the person signs in again.
SESSION_TTL: Final = 12 * 3600.0
#: An upstream sign-in must come back within this many seconds.
SIGNIN_TTL: Final = 600.0
_KEY_LABEL: Final = b"mctltg/web-session/v1"
_SESSION_BINDING: Final = "web-session"
_SIGNIN_BINDING: Final = "web-signin"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSession:
    """Who the browser belongs to, and its place in the connect wizard.

    Attributes:
        identity_id: the identity's row id.
        subject: the identity's subject (``tg:<id>`` or the operator's); binds the row id.
        csrf: the token every form of this session posts back.
        expires_at: wall-clock second after which the cookie is refused.
        issued_at: when it was issued; a sign-out after that ends it (``storage/web_sessions.py``).
        login_id: the wizard's current Telegram login, if one was started.
        send: the wizard's permissions choice (None until chosen).
        applied: the login whose completion already applied ``send`` to the account.
        oauth_client: the MCP client waiting for this wizard (OAuth detour), by name.
    """

    identity_id: int
    subject: str
    csrf: str
    expires_at: float
    issued_at: float
    login_id: str | None = None
    send: bool | None = None
    applied: str | None = None
    oauth_client: str | None = None

    def csrf_ok(self, posted: str | None) -> bool:
        return bool(posted) and constant_time_equal(posted or "", self.csrf)

    def replace(self, **changes: Any) -> WebSession:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingWebSignIn:
    """An upstream (OIDC) sign-in started from ``/telegram/signin``."""

    state: str
    verifier: str
    nonce: str
    next_path: str
    expires_at: float


def _derive(key: bytes) -> bytes:
    return hmac.new(key, _KEY_LABEL, hashlib.sha256).digest()


class SessionCodec:
    """Seals, opens, sets and clears the two browser cookies.

    Args:
        key: ``ENCRYPTION_KEY`` (32 bytes); a purpose-bound key is derived from it.
        secure: mark cookies ``Secure`` (https deployments).
        ttl: session lifetime in seconds.
        clock: wall-clock seconds.
    """

    def __init__(
        self,
        key: bytes,
        *,
        secure: bool,
        ttl: float = SESSION_TTL,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._sealer = Sealer(_derive(key))
        self.secure = secure
        self._ttl = ttl
        self._clock = clock

    def __repr__(self) -> str:
        return f"<SessionCodec secure={self.secure}>"

    # -- the session ---------------------------------------------------------------------
    def now(self) -> float:
        """This codec's clock (sessions issued before a recorded sign-out are refused)."""
        return self._clock()

    def new(self, *, identity_id: int, subject: str, **fields: Any) -> WebSession:
        now = self._clock()
        return WebSession(
            identity_id=identity_id,
            subject=subject,
            csrf=random_token(),
            expires_at=now + self._ttl,
            issued_at=now,
            **fields,
        )

    def renew(self, session: WebSession) -> WebSession:
        """The same session issued again now: it outlives a sign-out of all older ones."""
        now = self._clock()
        return session.replace(csrf=random_token(), expires_at=now + self._ttl, issued_at=now)

    def read(self, cookie: str | None) -> WebSession | None:
        """The session in ``cookie``, or None when absent, forged, tampered or expired."""
        data = self._open(cookie, _SESSION_BINDING)
        if data is None:
            return None
        try:
            session = WebSession(**data)
        except TypeError:
            return None
        if session.expires_at <= self._clock():
            return None
        return session

    def store(self, response: Response, session: WebSession) -> Response:
        max_age = max(0, int(session.expires_at - self._clock()))
        response.set_cookie(
            COOKIE,
            self._seal(dataclasses.asdict(session), _SESSION_BINDING),
            max_age=max_age,
            path=COOKIE_PATH,
            httponly=True,
            secure=self.secure,
            samesite="Lax",
        )
        return response

    def clear(self, response: Response) -> Response:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, secure=self.secure, samesite="Lax")
        return response

    # -- an upstream sign-in in flight ----------------------------------------------------
    def new_signin(self, next_path: str) -> PendingWebSignIn:
        return PendingWebSignIn(
            state=random_token(),
            verifier=random_token(48),
            nonce=random_token(),
            next_path=next_path,
            expires_at=self._clock() + SIGNIN_TTL,
        )

    def read_signin(self, cookie: str | None) -> PendingWebSignIn | None:
        data = self._open(cookie, _SIGNIN_BINDING)
        if data is None:
            return None
        try:
            pending = PendingWebSignIn(**data)
        except TypeError:
            return None
        return pending if pending.expires_at > self._clock() else None

    def store_signin(self, response: Response, pending: PendingWebSignIn, *, path: str) -> Response:
        response.set_cookie(
            SIGNIN_COOKIE,
            self._seal(dataclasses.asdict(pending), _SIGNIN_BINDING),
            max_age=int(SIGNIN_TTL),
            path=path,
            httponly=True,
            secure=self.secure,
            samesite="Lax",
        )
        return response

    def clear_signin(self, response: Response, *, path: str) -> Response:
        response.delete_cookie(SIGNIN_COOKIE, path=path, httponly=True, secure=self.secure, samesite="Lax")
        return response

    # -- sealing ---------------------------------------------------------------------------
    def _seal(self, data: dict[str, Any], binding: str) -> str:
        blob = self._sealer.seal(json.dumps(data, separators=(",", ":")).encode(), bound_to=binding)
        return base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")

    def _open(self, cookie: str | None, binding: str) -> dict[str, Any] | None:
        if not cookie or len(cookie) > 4096:
            return None
        try:
            blob = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            data = json.loads(self._sealer.open(blob, bound_to=binding))
        except (binascii.Error, ValueError, SealError):
            return None
        return data if isinstance(data, dict) else None
