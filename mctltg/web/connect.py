"""``/telegram/connect``: the wizard that connects a Telegram account, by QR code or by phone.

Sign in → permissions (read only, read and draft, or read and send: only the last turns
the account's ``send_enabled`` on; drafts never need it, their scope is granted per client)
→ QR code (redrawn when Telegram replaces the token) or phone → code → 2FA password
when the account has one → done. It drives the one login state machine
(``accounts/login.py``) exactly as ``mctltg login`` does, so every failure is the
machine's one sentence, and a double submit is harmless (the machine answers a
repeated code or password with its current view, without asking Telegram again).

Every step is a plain HTML form that posts and is redirected back to
``GET /telegram/connect`` (post/redirect/get), which renders whatever the login's
current step is: reload, back button and a second tab all show the truth, and a
form from an older page (its ``login_id`` is not the current one) changes nothing.
With OAuth, every step that would start a Telegram login first checks the person's
access tier (``WebDeps.telegram_refusal``): an unapproved person connects no account
and makes Telegram send no code. Phone logins are also rationed (``code_limits``).
With JavaScript, ``static/connect.js`` also opens the WebSocket below and learns of a
new QR token, a scan or the next step without reloading; without it, the QR page
refreshes itself every few seconds (``<noscript>`` meta refresh) and has a "check
now" button.

A person with a connected account adds another at ``/telegram/connect/add``: a label of
their choosing and the permissions for that account, then the same QR or phone login
(the login carries the label, so every later step and the "done" page are about that
account). Past ``MAX_ACCOUNTS_PER_IDENTITY`` the form says so and no login starts.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any, Final
from urllib.parse import urlsplit

import trio
from quart import Blueprint, Response, request, websocket

from mctltg.accounts import LoginStep, LoginView
from mctltg.accounts.code_limits import CodeRequestsLimited
from mctltg.errors import AccountLimitReached, AccountNotReady, InvalidInput
from mctltg.storage import DEFAULT_LABEL, AccountRow, normalize_label
from mctltg.web.context import (
    CONNECT_PATH,
    MANAGE_PATH,
    WebDeps,
    page,
    redirect,
    signed_in,
    signin_redirect,
)
from mctltg.web.oauth_endpoints import CONTINUE_PATH
from mctltg.web.pages import here, site_facts
from mctltg.web.qr import qr_data_uri
from mctltg.web.sandbox_aid import sandbox_hints
from mctltg.web.session_cookie import WebSession

__all__ = ["LIVE_PATH", "connect_blueprint"]

logger = logging.getLogger(__name__)

LIVE_PATH: Final = CONNECT_PATH + "/ws"
#: Seconds one WebSocket wait for a QR scan may hold the login (the machine caps it too).
QR_WAIT: Final = 2.0
#: Seconds between looks at a login that waits for the person (code, password).
IDLE_POLL: Final = 3.0
#: A WebSocket lives at most this long (a login expires sooner).
LIVE_FOR: Final = 900.0
#: A "check now" press waits this long for the scan to arrive.
CHECK_WAIT: Final = 1.0
_FIELD_SENTENCES: Final = {
    "phone": "The phone number {problem}.",
    "code": "The code {problem}.",
    "password": "The password {problem}.",
}
_TEMPLATES: Final = {
    LoginStep.NEEDS_QR_SCAN: "qr",
    LoginStep.NEEDS_CODE: "code",
    LoginStep.NEEDS_PASSWORD: "password",
    LoginStep.FAILED: "failed",
}


def _sentence(exc: InvalidInput) -> str:
    template = _FIELD_SENTENCES.get(exc.field)
    problem = exc.problem.rstrip(".")
    return template.format(problem=problem) if template else f"{problem[:1].upper()}{problem[1:]}."


def live_payload(view: LoginView | None) -> dict[str, Any]:
    """What the WebSocket tells the page: the step, and the QR code while one is shown."""
    if view is None:
        return {"step": "start"}
    payload: dict[str, Any] = {"step": view.step.value}
    if view.step is LoginStep.NEEDS_QR_SCAN and view.qr_url:
        payload["qr_url"] = view.qr_url
        payload["qr_image"] = qr_data_uri(view.qr_url)
    return payload


def connect_blueprint(deps: WebDeps) -> Blueprint:
    blueprint = Blueprint("connect", __name__)
    facts = site_facts(deps.settings)
    logins = deps.logins

    async def current(session: WebSession, *, refresh_qr: bool = False) -> LoginView | None:
        if session.login_id is None:
            return None
        try:
            view = await logins.view(session.identity_id, session.login_id)
            if refresh_qr and view.step is LoginStep.NEEDS_QR_SCAN:
                # Redraws an expiring token and notices a scan (no Telegram call otherwise).
                view = await logins.wait_qr(session.identity_id, session.login_id, timeout=0)
        except InvalidInput:
            return None  # the server restarted, or the login was forgotten long ago
        return view

    async def render(
        session: WebSession,
        step: str,
        *,
        view: LoginView | None = None,
        account: AccountRow | None = None,
        error: str | None = None,
        status: int = 200,
        label: str = "",
    ) -> Response:
        held = await deps.accounts.list_for_identity(session.identity_id)
        response = await page(
            "connect.html",
            status=status,
            step=step,
            view=view,
            account=account,
            label=label,
            can_add=len(held) < deps.settings.max_accounts_per_identity,
            max_accounts=deps.settings.max_accounts_per_identity,
            error=error,
            csrf=session.csrf,
            session=session,
            site=here(facts),
            qr_image=qr_data_uri(view.qr_url) if view is not None and view.qr_url else None,
            nav="connect",
            sandbox=sandbox_hints(deps.sandbox_aid, step),
        )
        return deps.sessions.store(response, session)

    async def form_for(session: WebSession) -> tuple[dict[str, str], bool]:
        """The posted form, and whether it is this session's and this login's."""
        form = await request.form
        fields = {key: form.get(key, "") for key in form}
        if not session.csrf_ok(fields.get("csrf")):
            return fields, False
        if "login_id" in fields and fields["login_id"] != (session.login_id or ""):
            return fields, False  # a form from an older page (back button): change nothing
        return fields, True

    async def refused(session: WebSession) -> Response | None:
        """The "not approved" page, when this identity may not use Telegram on this server."""
        if deps.telegram_refusal is None:
            return None
        reason = await deps.telegram_refusal(session.identity_id)
        if reason is None:
            return None
        response = await page(
            "message.html",
            status=403,
            title="You are not approved to connect Telegram here",
            message=reason,
            action_href=None,
            site=here(facts),
        )
        return deps.sessions.store(response, session)

    @blueprint.get(CONNECT_PATH)
    async def show() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        if (answer := await refused(session)) is not None:
            return answer
        row = await deps.accounts.for_identity(session.identity_id)
        view = await current(session, refresh_qr=True)
        if view is not None and view.step is LoginStep.DONE:
            connected = await deps.accounts.by_label(session.identity_id, view.label)
            if connected is not None and connected.status == "active":
                if session.applied != view.login_id:
                    if session.send is not None and session.send != connected.send_enabled:
                        await deps.accounts.set_send_enabled(connected.id, session.send)
                        connected = await deps.accounts.get(connected.id) or connected
                    session = session.replace(applied=view.login_id)
                return await render(session, "done", view=view, account=connected)
            view = None  # connected once, disconnected since: start over
        other = view is not None and (row is None or view.label != row.label)
        adding = other and view is not None and not view.finished  # another account's login
        failed_add = other and view is not None and view.step is LoginStep.FAILED
        if row is not None and row.status == "active" and not adding and not failed_add:
            return await render(session, "done", account=row)
        if session.send is None:
            return await render(session, "permissions")
        if view is None and session.login_id is None and session.oauth_client is not None:
            return await start_qr(session)  # the OAuth detour chose permissions at consent already
        if view is None:
            return await render(session, "start")
        return await render(session, _TEMPLATES[view.step], view=view)

    @blueprint.post(CONNECT_PATH + "/permissions")
    async def permissions() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        fields, fresh = await form_for(session)
        if not fresh or fields.get("access") not in ("read", "draft", "send"):
            return redirect(CONNECT_PATH)
        if (answer := await refused(session)) is not None:
            return answer
        session = session.replace(send=fields["access"] == "send")
        return await start_qr(session)

    async def login_label(session: WebSession) -> str:
        """The label of the account this browser is connecting (kept across QR, phone and retries)."""
        ongoing = await current(session)
        done = ongoing is None or ongoing.step is LoginStep.DONE
        return DEFAULT_LABEL if ongoing is None or done else ongoing.label

    async def start_qr(session: WebSession, label: str = DEFAULT_LABEL) -> Response:
        if (answer := await refused(session)) is not None:
            return answer
        try:
            view = await logins.start_qr(session.identity_id, label=label)
        except AccountLimitReached as exc:
            return await render(session, "add", error=_sentence(exc), status=400, label=label)
        except AccountNotReady:
            return redirect(CONNECT_PATH)
        return deps.sessions.store(redirect(CONNECT_PATH), session.replace(login_id=view.login_id))

    @blueprint.post(CONNECT_PATH + "/qr")
    async def qr() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        _, fresh = await form_for(session)
        if not fresh or session.send is None:
            return redirect(CONNECT_PATH)
        return await start_qr(session, await login_label(session))

    @blueprint.post(CONNECT_PATH + "/qr/check")
    async def qr_check() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        _, fresh = await form_for(session)
        if fresh and session.login_id is not None:
            # The page shows the login's state whatever this finds.
            with contextlib.suppress(InvalidInput, AccountNotReady):
                await logins.wait_qr(session.identity_id, session.login_id, timeout=CHECK_WAIT)
        return redirect(CONNECT_PATH)

    @blueprint.get(CONNECT_PATH + "/phone")
    async def phone_form() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH + "/phone")
        if session.send is None:
            return redirect(CONNECT_PATH)
        if (answer := await refused(session)) is not None:
            return answer
        return await render(session, "phone")

    @blueprint.post(CONNECT_PATH + "/phone")
    async def phone() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        fields, fresh = await form_for(session)
        if not fresh or session.send is None:
            return redirect(CONNECT_PATH)
        if (answer := await refused(session)) is not None:
            return answer
        label = await login_label(session)
        try:
            view = await logins.start_phone(session.identity_id, fields.get("phone", ""), label=label)
        except AccountLimitReached as exc:
            return await render(session, "add", error=_sentence(exc), status=400, label=label)
        except InvalidInput as exc:
            return await render(session, "phone", error=_sentence(exc), status=400)
        except CodeRequestsLimited as exc:
            return await render(session, "phone", error=str(exc), status=429)
        except AccountNotReady:
            return redirect(CONNECT_PATH)
        return deps.sessions.store(redirect(CONNECT_PATH), session.replace(login_id=view.login_id))

    async def submit(kind: str) -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        fields, fresh = await form_for(session)
        if not fresh or session.login_id is None:
            return redirect(CONNECT_PATH)
        try:
            if kind == "code":
                await logins.submit_code(session.identity_id, session.login_id, fields.get("code", ""))
            else:
                await logins.submit_password(
                    session.identity_id, session.login_id, fields.get("password", "")
                )
        except InvalidInput as exc:
            if exc.field == "login_id":
                return deps.sessions.store(redirect(CONNECT_PATH), session.replace(login_id=None))
            view = await current(session)
            return await render(session, kind, view=view, error=_sentence(exc), status=400)
        except AccountNotReady:
            pass  # still working on the previous submission: the page shows where it is
        return redirect(CONNECT_PATH)

    @blueprint.get(CONNECT_PATH + "/add")
    async def add_form() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH + "/add")
        if (answer := await refused(session)) is not None:
            return answer
        again = request.args.get("label", "")  # "connect again" from the manage page
        return await render(session, "add", label=again if again.isascii() and len(again) <= 16 else "")

    @blueprint.post(CONNECT_PATH + "/add")
    async def add() -> Response:
        """Another account: its label and permissions, then the login (refused past the limit)."""
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH + "/add")
        fields, fresh = await form_for(session)
        if not fresh or fields.get("access") not in ("read", "draft", "send"):
            return redirect(CONNECT_PATH + "/add")
        if (answer := await refused(session)) is not None:
            return answer
        typed = fields.get("label", "")[:64]
        try:
            label = normalize_label(typed)
        except InvalidInput as exc:
            return await render(session, "add", error=_sentence(exc), status=400)
        existing = await deps.accounts.by_label(session.identity_id, label)
        if existing is not None and existing.status != "revoked":
            return await render(
                session,
                "add",
                error="You already have an account with this label; choose another.",
                status=400,
            )
        session = session.replace(send=fields["access"] == "send", login_id=None, applied=None)
        return await start_qr(session, label)

    @blueprint.post(CONNECT_PATH + "/code")
    async def code() -> Response:
        return await submit("code")

    @blueprint.post(CONNECT_PATH + "/password")
    async def password() -> Response:
        return await submit("password")

    @blueprint.post(CONNECT_PATH + "/cancel")
    async def cancel() -> Response:
        session = await signed_in(deps)
        if session is None:
            return signin_redirect(CONNECT_PATH)
        _, fresh = await form_for(session)
        if fresh and session.login_id is not None:
            with contextlib.suppress(InvalidInput, AccountNotReady):
                await logins.cancel(session.identity_id, session.login_id)
            session = session.replace(login_id=None)
        return deps.sessions.store(redirect(CONNECT_PATH), session)

    @blueprint.get(CONNECT_PATH + "/return")
    async def back_to_client() -> Response:
        session = await signed_in(deps)
        if session is None or session.oauth_client is None:
            return redirect(MANAGE_PATH)
        return deps.sessions.store(redirect(CONTINUE_PATH), session.replace(oauth_client=None))

    @blueprint.post(CONNECT_PATH + "/return")
    async def not_now() -> Response:
        """ "Not now — back to the app": from any step, the waiting MCP client gets its code.

        The login in progress, if any, is cancelled; the authorization completes without a
        Telegram account (its tools then say none is connected, until one is connected here).
        """
        session = await signed_in(deps)
        if session is None or session.oauth_client is None:
            return redirect(MANAGE_PATH)
        _, fresh = await form_for(session)
        if not fresh:
            return redirect(CONNECT_PATH)
        if session.login_id is not None:
            with contextlib.suppress(InvalidInput, AccountNotReady):
                await logins.cancel(session.identity_id, session.login_id)
        session = session.replace(oauth_client=None, login_id=None)
        return deps.sessions.store(redirect(CONTINUE_PATH), session)

    @blueprint.websocket(LIVE_PATH)
    async def live() -> None:
        session = await signed_in(deps, websocket.cookies)
        origin = urlsplit(websocket.headers.get("Origin", ""))
        allowed = {websocket.host, urlsplit(deps.settings.public_base_url).netloc}
        if session is None or origin.netloc not in allowed:
            await websocket.close(1008)
            return
        await websocket.accept()
        last: dict[str, Any] | None = None
        with trio.move_on_after(LIVE_FOR):
            while True:
                view = await current(session)
                if view is not None and view.step is LoginStep.NEEDS_QR_SCAN and session.login_id:
                    with contextlib.suppress(AccountNotReady):
                        view = await logins.wait_qr(session.identity_id, session.login_id, timeout=QR_WAIT)
                payload = live_payload(view)
                if payload != last:
                    await websocket.send(json.dumps(payload))
                    last = payload
                if view is None or view.finished:
                    break
                if view.step is not LoginStep.NEEDS_QR_SCAN:
                    await trio.sleep(IDLE_POLL)
        await websocket.close(1000)

    return blueprint
