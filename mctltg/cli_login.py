"""``mctltg login``: connect a Telegram account from a terminal, by phone or by QR code.

It drives the same login machine as the browser wizard (``accounts/login.py``), one
step per prompt: the code and the two-step verification password are read without
echo, a QR code is drawn in the terminal with its ``tg://login`` link and redrawn
when Telegram replaces the token. Every ending is one sentence; a failed login stores
nothing. ``--label`` names the account: a new label adds another account for the same
identity (up to ``MAX_ACCOUNTS_PER_IDENTITY``, refused before Telegram sends any code),
an existing disconnected one reconnects it.

The login runs with ``resume_accounts=False``: a server on the same database may own
the accounts, and two owners of one auth key get it killed by Telegram. The server
picks the new account up at its next tool call.
"""

from __future__ import annotations

import functools
import getpass
import io
import sys
from typing import TYPE_CHECKING, Protocol, TextIO

import qrcode
import trio

from mctltg.accounts import OPERATOR_SUBJECT, LoginStep, LoginView, normalize_phone
from mctltg.app import open_services
from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.errors import InvalidInput, MctltgError
from mctltg.storage import DEFAULT_LABEL, normalize_label

if TYPE_CHECKING:
    from mctltg.accounts import LoginManager
    from mctltg.config import Settings
    from mctltg.sandbox import SandboxWorld

__all__ = ["Prompter", "TerminalPrompter", "login_command", "run_login"]

#: Seconds between checks for a scanned QR code (each check is local unless it was scanned).
QR_POLL_SECONDS = 1.0


class Prompter(Protocol):
    """Asks a person for a secret; the answer is never echoed."""

    def secret(self, prompt: str) -> str: ...


class TerminalPrompter:
    """``getpass`` on the controlling terminal."""

    def secret(self, prompt: str) -> str:
        return getpass.getpass(prompt)


def login_command(
    settings: Settings,
    *,
    phone: str | None,
    qr: bool,
    subject: str = OPERATOR_SUBJECT,
    label: str = DEFAULT_LABEL,
    out: TextIO | None = None,
    prompter: Prompter | None = None,
) -> int:
    """Run a login to completion; the exit code (0 done, 1 failed, 2 bad arguments)."""
    stream = out or sys.stdout
    try:
        label = normalize_label(label)
    except InvalidInput as exc:
        print(f"mctltg: --label {exc.problem}", file=stream)
        return 2
    if phone is not None:
        try:
            phone = normalize_phone(phone)
        except InvalidInput as exc:
            print(f"mctltg: --phone {exc.problem}", file=stream)
            return 2
    driver = functools.partial(
        run_login,
        settings,
        phone=phone,
        qr=qr,
        subject=subject,
        label=label,
        out=stream,
        prompter=prompter or TerminalPrompter(),
    )
    return trio.run(driver)


async def run_login(
    settings: Settings,
    *,
    phone: str | None,
    qr: bool,
    out: TextIO,
    prompter: Prompter,
    subject: str = OPERATOR_SUBJECT,
    label: str = DEFAULT_LABEL,
    world: SandboxWorld | None = None,
    clock: Clock = SYSTEM_CLOCK,
    qr_poll_seconds: float = QR_POLL_SECONDS,
) -> int:
    """The login driver; ``world`` and ``clock`` let tests inject the sandbox Telegram and its time."""
    if (phone is None) == (not qr):
        raise ValueError("give exactly one of phone or qr")
    if settings.telegram_sandbox:
        print(
            "mctltg: logging in to the SANDBOX Telegram (TELEGRAM_SANDBOX=true), not a real account", file=out
        )
    async with open_services(settings, world=world, resume_accounts=False, clock=clock) as services:
        identity = await services.identities.ensure(subject)
        logins = services.logins
        try:
            if phone is not None:
                view = await logins.start_phone(identity.id, phone, label=label)
            else:
                view = await logins.start_qr(identity.id, label=label)
            view = await _drive(logins, identity.id, view, out=out, prompter=prompter, poll=qr_poll_seconds)
        except MctltgError as exc:
            print(f"mctltg: {exc}", file=out)
            return 1
    if view.step is LoginStep.DONE and view.account is not None:
        who = view.account.display_name + (f" (@{view.account.username})" if view.account.username else "")
        print(
            f"Logged in to Telegram as {who}. The session is stored sealed for {subject!r} as the "
            f"account labelled {label!r}; a running server uses it at the next tool call.",
            file=out,
        )
        return 0
    print(f"mctltg: {view.message}", file=out)
    return 1


async def _drive(
    logins: LoginManager, identity_id: int, view: LoginView, *, out: TextIO, prompter: Prompter, poll: float
) -> LoginView:
    shown_url: str | None = None
    while not view.finished:
        if view.message:
            print(view.message, file=out)  # a refused code or password: try again
        if view.step is LoginStep.NEEDS_QR_SCAN:
            if view.qr_url != shown_url:
                shown_url = view.qr_url
                _draw_qr(view, out)
            view = await logins.wait_qr(identity_id, view.login_id, timeout=poll)
            continue
        if view.step is LoginStep.NEEDS_CODE:
            prompt = "Login code (Telegram sent it to your Telegram apps): "
        else:
            hint = f" (hint: {view.password_hint})" if view.password_hint else ""
            prompt = f"Two-step verification password{hint}: "
        try:
            answer = await trio.to_thread.run_sync(prompter.secret, prompt, abandon_on_cancel=True)
        except (EOFError, KeyboardInterrupt):
            return await logins.cancel(identity_id, view.login_id)
        try:
            if view.step is LoginStep.NEEDS_CODE:
                view = await logins.submit_code(identity_id, view.login_id, answer)
            else:
                view = await logins.submit_password(identity_id, view.login_id, answer)
        except InvalidInput as exc:
            print(f"The {exc.field} {exc.problem}.", file=out)
    return view


def _draw_qr(view: LoginView, out: TextIO) -> None:
    assert view.qr_url is not None
    code = qrcode.QRCode(border=1)
    code.add_data(view.qr_url)
    code.make(fit=True)
    picture = io.StringIO()
    code.print_ascii(out=picture, invert=True)
    print(
        "Scan this with Telegram on your phone (Settings → Devices → Link Desktop Device):",
        file=out,
    )
    print(picture.getvalue(), file=out)
    print(f"or open this link where Telegram is logged in: {view.qr_url}", file=out)
    print("Waiting for the scan; the code is refreshed before it expires…", file=out, flush=True)
