"""The wizard's sandbox aid: the login code on the page and an "approve in the sandbox" button.

Over the sandbox Telegram (``TELEGRAM_SANDBOX``) no phone receives a login code and no
phone can scan a QR code, so a person trying ``mctltg serve`` could never connect an
account. With the sandbox on, the composition root hands the wizard a :class:`SandboxAid`
(``app/sandbox_aid.py`` adapts the sandbox world to it; the web layer never sees the
world itself), and the wizard then shows, plainly marked as sandbox:

* on the phone step, the sandbox's people and their phone numbers;
* on the code step, the login codes the sandbox "sent";
* on the QR step, one "approve in the sandbox as …" button per person (what scanning
  the code in their app would do), posting to :data:`APPROVE_PATH`.

Without the sandbox there is no aid: the route below is never registered (404) and the
templates get nothing to show. ``SECURITY.md`` keeps that as an invariant.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Final, Protocol

from quart import Blueprint, Response, request

from mctltg.accounts import LoginStep
from mctltg.errors import AccountNotReady, InvalidInput
from mctltg.web.context import CONNECT_PATH, WebDeps, redirect, signed_in, signin_redirect

__all__ = [
    "APPROVE_PATH",
    "SandboxAid",
    "SandboxHints",
    "SandboxPerson",
    "sandbox_blueprint",
    "sandbox_hints",
]

logger = logging.getLogger(__name__)

APPROVE_PATH: Final = CONNECT_PATH + "/sandbox/approve-qr"
#: Seconds the approve button waits for the login to notice the approval.
NOTICE_WAIT: Final = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxPerson:
    """Someone in the sandbox one can log in as."""

    user_id: int
    name: str
    phone: str
    #: Has a two-step verification password (the wizard then asks for it).
    two_step: bool


class SandboxAid(Protocol):
    """What the wizard may ask of the sandbox: nothing else of it is reachable from the web."""

    def people(self) -> tuple[SandboxPerson, ...]: ...

    def login_code(self, phone: str) -> str | None:
        """The code the sandbox last sent to ``phone`` and that is still waiting, if any."""
        ...

    def approve_qr(self, qr_url: str, *, user_id: int) -> None:
        """Accept the QR login ``qr_url`` as ``user_id``, as scanning it in their app would.

        Raises:
            ValueError: the token is unknown, used or expired, or there is no such person.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxHints:
    """What a wizard page shows of the sandbox."""

    people: tuple[SandboxPerson, ...]
    #: The login codes waiting, with whom they were sent to.
    codes: tuple[tuple[SandboxPerson, str], ...]


def sandbox_hints(aid: SandboxAid | None, step: str) -> SandboxHints | None:
    """The hints for ``step``'s page; None without the sandbox."""
    if aid is None:
        return None
    people = aid.people()
    codes: tuple[tuple[SandboxPerson, str], ...] = ()
    if step == "code":
        codes = tuple((person, code) for person in people if (code := aid.login_code(person.phone)))
    return SandboxHints(people=people, codes=codes)


def sandbox_blueprint(deps: WebDeps, aid: SandboxAid) -> Blueprint:
    """The sandbox's approve button; registered only when the sandbox is on."""
    blueprint = Blueprint("sandbox_aid", __name__)

    @blueprint.post(APPROVE_PATH)
    async def approve() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        form = await request.form
        login_id = session.login_id
        if not session.csrf_ok(form.get("csrf")) or login_id is None or form.get("login_id") != login_id:
            return redirect(CONNECT_PATH)  # a form from an older page: change nothing
        if deps.telegram_refusal is not None and await deps.telegram_refusal(session.identity_id):
            return redirect(CONNECT_PATH)  # the wizard shows the "not approved" page
        try:
            user_id = int(form.get("user_id", ""))
            view = await deps.logins.view(session.identity_id, login_id)
        except (ValueError, InvalidInput):
            return redirect(CONNECT_PATH)
        if view.step is not LoginStep.NEEDS_QR_SCAN or not view.qr_url:
            return redirect(CONNECT_PATH)
        try:
            aid.approve_qr(view.qr_url, user_id=user_id)
        except ValueError as exc:
            logger.info("sandbox QR approval refused: %s", exc)  # expired or renewed: the page redraws it
            return redirect(CONNECT_PATH)
        with contextlib.suppress(InvalidInput, AccountNotReady):
            await deps.logins.wait_qr(session.identity_id, login_id, timeout=NOTICE_WAIT)
        return redirect(CONNECT_PATH)

    return blueprint
