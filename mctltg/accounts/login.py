"""The one login state machine: phone → code → (2FA) and QR → (2FA), for CLI and browser alike.

A login is a value-producing machine keyed by identity and login id, so a browser can
drive it across separate HTTP requests and the CLI can drive it in one process. Its
steps are data (``LoginStep``, ``TRANSITIONS``, ``FAILURES``); every call returns a
``LoginView`` saying what is needed next, or why the login ended, in one sentence.

Rules it keeps:

* **Serialized per identity.** One step at a time per identity; starting a new login
  abandons the previous one (its client is disconnected, nothing is stored).
* **Deadlines.** Every step runs under a deadline; the whole login expires after
  ``ttl`` seconds and a sweeper disconnects abandoned ones.
* **Duplicate submissions are harmless.** A code sent twice, a password sent after the
  login finished, a poll after success: each returns the current view and never calls
  Telegram again.
* **Nothing half-saved.** The session reaches the database only when the login is
  complete, in one transaction (``Accounts.connect``). The login's client lets go of
  the auth key *before* that, so the account pool becomes its only owner; a refused
  account (another identity's, or the wrong one) is logged out at Telegram instead.
* **Codes are rationed.** A phone login asks Telegram to send a code; requests are
  limited per identity, per phone number and server-wide (``code_limits.py``) and
  refused before Telegram is asked.
* **Privacy.** Phone numbers, codes and passwords are passed through, never kept in a
  view, an error or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import trio

from mctltg.accounts.code_limits import CodeLimits
from mctltg.accounts.login_steps import (
    FAILURES,
    NEXT_STEP,
    TRANSITIONS,
    LoginStep,
    LoginView,
    normalize_code,
    normalize_phone,
)
from mctltg.accounts.pool import AccountPool
from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.crypto import random_token, sha256_hex
from mctltg.errors import (
    AccountLimitReached,
    AccountNotReady,
    FloodWait,
    InvalidInput,
    StorageError,
    TelegramError,
    TelegramTimeout,
    TelegramUserTaken,
)
from mctltg.storage import DEFAULT_LABEL, Accounts, Identities, normalize_label
from mctltg.telegram import (
    AccountProfile,
    AsyncioBridge,
    ClientFactory,
    LoginHandle,
    LoginProgress,
    SealedSession,
    TelegramConnection,
    TelegramLogin,
)

if TYPE_CHECKING:
    from mctltg.observability.metrics import Metrics

__all__ = ["LOGIN_TTL", "MAX_ATTEMPTS", "LoginManager", "open_login_manager"]

logger = logging.getLogger(__name__)

#: Seconds a login may take from start to finish (Telegram's codes live about as long).
LOGIN_TTL: Final = 600.0
#: Wrong codes or passwords accepted before the login ends.
MAX_ATTEMPTS: Final = 3
#: How often abandoned logins are looked for.
SWEEP_EVERY: Final = 5.0


@dataclass(slots=True, eq=False)
class _Login:
    login_id: str
    identity_id: int
    method: Literal["phone", "qr"]
    expires_at: float
    connection: TelegramConnection | None = None
    handle: LoginHandle = field(default_factory=LoginHandle)
    view: LoginView | None = None
    last_wrong: str | None = None  # hash of the last refused code/password: a repeat is a duplicate
    label: str = DEFAULT_LABEL


class LoginManager:
    """Runs logins for identities; build it with ``open_login_manager``.

    Args:
        pool: started for the new account when a login completes; ``None`` (the CLI,
            which must not own sessions a running server owns) leaves that to the server.
        clock: wall time; login expiry and QR token refresh use it.
    """

    def __init__(
        self,
        *,
        bridge: AsyncioBridge,
        factory: ClientFactory,
        accounts: Accounts,
        identities: Identities,
        pool: AccountPool | None,
        device_name: str,
        sandbox: bool,
        call_timeout: float,
        connect_timeout: float,
        ttl: float = LOGIN_TTL,
        max_attempts: int = MAX_ATTEMPTS,
        clock: Clock = SYSTEM_CLOCK,
        metrics: Metrics | None = None,
        code_limits: CodeLimits | None = None,
        max_accounts: int | None = None,
    ) -> None:
        self._max_accounts = max_accounts
        self._metrics = metrics
        self._code_limits = code_limits or CodeLimits(clock=clock)
        self._bridge = bridge
        self._factory = factory
        self._accounts = accounts
        self._identities = identities
        self._pool = pool
        self._device_name = device_name
        self._sandbox = sandbox
        self._call_timeout = call_timeout
        self._connect_timeout = connect_timeout
        self._step_timeout = connect_timeout + 2 * call_timeout
        self._ttl = ttl
        self._max_attempts = max_attempts
        self._clock = clock
        self._logins: dict[str, _Login] = {}
        self._current: dict[int, str] = {}
        self._locks: dict[int, trio.Lock] = {}

    # -- the API the CLI and the browser wizard drive -------------------------------
    async def start_phone(self, identity_id: int, phone: str, *, label: str = DEFAULT_LABEL) -> LoginView:
        """Start a phone login: Telegram sends a code to the account's apps (or by SMS).

        Raises:
            InvalidInput: the phone number is not in international form.
            CodeRequestsLimited: too many codes were asked for (this person, this number or
                this server); the login in progress, if any, is left as it was.
        """
        number = normalize_phone(phone)
        name = normalize_label(label)
        async with self._serialized(identity_id):
            await self._within_limit(identity_id, name)
            self._code_limits.admit(identity_id, number)
            login = await self._begin(identity_id, "phone", name)
            if login.view is not None:
                return login.view
            return await self._step(login, lambda telegram: telegram.send_code(number), connect=True)

    async def start_qr(self, identity_id: int, *, label: str = DEFAULT_LABEL) -> LoginView:
        """Start a QR login: the view carries the ``tg://login`` link to show as a QR code.

        Raises:
            InvalidInput: ``label`` is not a label.
            AccountLimitReached: a new label, and the identity holds the most accounts allowed.
        """
        name = normalize_label(label)
        async with self._serialized(identity_id):
            await self._within_limit(identity_id, name)
            login = await self._begin(identity_id, "qr", name)
            if login.view is not None:
                return login.view
            return await self._step(login, lambda telegram: telegram.start_qr(), connect=True)

    async def submit_code(self, identity_id: int, login_id: str, code: str) -> LoginView:
        """Enter the login code. Raises ``InvalidInput`` for something that is not a code."""
        digits = normalize_code(code)
        async with self._serialized(identity_id):
            login = self._get(identity_id, login_id)
            view = self._current_view(login)
            if view.step is not LoginStep.NEEDS_CODE or login.last_wrong == sha256_hex(digits):
                return view
            return await self._step(login, lambda telegram: telegram.sign_in_code(digits), wrong=digits)

    async def submit_password(self, identity_id: int, login_id: str, password: str) -> LoginView:
        """Enter the two-step verification password (checked by SRP; never sent in clear)."""
        if not password:
            raise InvalidInput("password", "is empty; enter the two-step verification password")
        async with self._serialized(identity_id):
            login = self._get(identity_id, login_id)
            view = self._current_view(login)
            if view.step is not LoginStep.NEEDS_PASSWORD or login.last_wrong == sha256_hex(password):
                return view
            return await self._step(
                login, lambda telegram: telegram.sign_in_password(password), wrong=password
            )

    async def wait_qr(self, identity_id: int, login_id: str, *, timeout: float) -> LoginView:  # noqa: ASYNC109 (how long to wait for a scan, not a call deadline)
        """Wait up to ``timeout`` seconds for the QR code to be scanned.

        Returns at once when the login is not waiting for a scan. An expiring token is
        replaced: compare ``qr_url`` with the previous view to know when to redraw.
        """
        async with self._serialized(identity_id):
            login = self._get(identity_id, login_id)
            view = self._current_view(login)
            if view.step is not LoginStep.NEEDS_QR_SCAN:
                return view
            wait = max(0.0, min(timeout, self._call_timeout / 2, login.expires_at - self._clock()))
            now = self._clock()
            return await self._step(login, lambda telegram: telegram.poll_qr(wait, now))

    async def view(self, identity_id: int, login_id: str) -> LoginView:
        """The login's current view (after expiring it if its time is up)."""
        async with self._serialized(identity_id):
            return self._current_view(self._get(identity_id, login_id))

    async def cancel(self, identity_id: int, login_id: str) -> LoginView:
        async with self._serialized(identity_id):
            login = self._get(identity_id, login_id)
            if not self._current_view(login).finished:
                await self._fail(login, "cancelled")
            return self._current_view(login)

    # -- the machine --------------------------------------------------------------------
    async def _within_limit(self, identity_id: int, label: str) -> None:
        """Refuse a new label past the limit before Telegram is asked for anything (no code sent)."""
        if self._max_accounts is None:
            return
        held = await self._accounts.list_for_identity(identity_id)
        if all(row.label != label for row in held) and len(held) >= self._max_accounts:
            raise AccountLimitReached(self._max_accounts)

    async def _begin(self, identity_id: int, method: Literal["phone", "qr"], label: str) -> _Login:
        row = await self._accounts.by_label(identity_id, label)  # before anything is registered
        previous = self._logins.get(self._current.get(identity_id, ""))
        if previous is not None and not self._current_view(previous).finished:
            await self._fail(previous, "superseded")
        login = _Login(
            login_id=random_token(18),
            identity_id=identity_id,
            method=method,
            expires_at=self._clock() + self._ttl,
            label=label,
        )
        self._logins[login.login_id] = login
        self._current[identity_id] = login.login_id
        if row is not None and row.status == "active":
            await self._fail(login, "already_connected")
            return login
        login.connection = TelegramConnection(
            self._bridge, self._factory, SealedSession(), call_timeout=self._call_timeout
        )
        return login

    async def _step(
        self,
        login: _Login,
        step: Callable[[TelegramLogin], Awaitable[LoginProgress]],
        *,
        wrong: str | None = None,
        connect: bool = False,
    ) -> LoginView:
        connection = login.connection
        assert connection is not None
        try:
            with trio.fail_after(self._step_timeout):
                if connect:
                    await connection.connect(timeout=self._connect_timeout)
                progress = await step(TelegramLogin(connection, login.handle))
        except FloodWait as exc:
            await self._fail(login, "flood_wait", retry_after_seconds=exc.retry_after_seconds)
            return self._current_view(login)
        except (TelegramTimeout, trio.TooSlowError):
            await self._fail(login, "timeout")
            return self._current_view(login)
        except TelegramError as exc:
            code = getattr(exc, "code", None)
            await self._fail(login, "telegram_error" if code else "unavailable", code=code)
            return self._current_view(login)
        except Exception:
            logger.exception("identity %d: the login failed unexpectedly", login.identity_id)
            await self._fail(login, "internal")
            return self._current_view(login)
        await self._advance(login, progress, wrong)
        return self._current_view(login)

    async def _advance(self, login: _Login, progress: LoginProgress, wrong: str | None) -> None:
        current = login.view
        if progress.next == "rejected":
            assert progress.reason is not None
            if not progress.retryable or current is None:
                await self._fail(login, progress.reason)
                return
            left = (current.attempts_left or self._max_attempts) - 1
            if left <= 0:
                await self._fail(login, "too_many_attempts")
                return
            login.last_wrong = sha256_hex(wrong) if wrong is not None else None
            self._count(progress.reason)
            self._show(login, current.step, reason=progress.reason, attempts_left=left)
            return
        step = NEXT_STEP[progress.next]
        if step is LoginStep.DONE:
            assert progress.profile is not None
            await self._complete(login, progress.profile)
            return
        login.last_wrong = None
        same_step = current is not None and step is current.step
        attempts = current.attempts_left if current is not None and same_step else self._max_attempts
        self._show(
            login,
            step,
            attempts_left=attempts,
            code_length=progress.code_length,
            password_hint=progress.password_hint,
            qr_url=progress.qr_url,
            qr_expires_at=progress.qr_expires_at,
        )

    async def _complete(self, login: _Login, profile: AccountProfile) -> None:
        connection = login.connection
        assert connection is not None
        identity = await self._identities.get(login.identity_id)
        others = [
            r for r in await self._accounts.list_for_identity(login.identity_id) if r.label != login.label
        ]
        # Signed in with Telegram as one user: that user is the first account; more may differ.
        if not others and identity is not None and identity.telegram_user_id not in (None, profile.user_id):
            await self._fail(login, "different_account", log_out=True)
            return
        session = await connection.snapshot()
        await connection.disconnect()  # let go of the key before anything else can own it
        try:
            row = await self._accounts.connect(
                login.identity_id,
                device_name=self._device_name,
                sandbox=self._sandbox,
                telegram_user_id=profile.user_id,
                username=profile.username,
                display_name=profile.display_name,
                session=session,
                label=login.label,
                limit=self._max_accounts,
            )
        except AccountLimitReached:
            await self._fail(login, "limit", log_out=True)
            return
        except StorageError as exc:
            reason = "taken" if isinstance(exc, TelegramUserTaken) else "storage"
            if not isinstance(exc, TelegramUserTaken):
                logger.warning(
                    "identity %d: a finished login could not be stored: %s", login.identity_id, exc
                )
            await self._fail(login, reason, log_out=True)
            return
        login.connection = None
        self._count("success")
        self._show(login, LoginStep.DONE, account=profile)
        logger.info("identity %d: Telegram account connected (account %d)", login.identity_id, row.id)
        if self._pool is not None:
            await self._pool.start(row.id)

    async def _fail(
        self,
        login: _Login,
        reason: str,
        *,
        log_out: bool = False,
        retry_after_seconds: int | None = None,
        code: str | None = None,
    ) -> None:
        """End the login: one sentence for the person, the client disconnected, nothing stored."""
        message = FAILURES[reason].format(seconds=retry_after_seconds, code=code)
        self._count(reason)
        step = login.view.step if login.view is not None else LoginStep.NEEDS_CODE
        login.view = LoginView(
            login_id=login.login_id,
            method=login.method,
            step=LoginStep.FAILED,
            reason=reason,
            message=message,
            retry_after_seconds=retry_after_seconds,
            expires_at=login.expires_at,
            label=login.label,
        )
        connection, login.connection = login.connection, None
        logger.info("identity %d: login ended at %s: %s", login.identity_id, step.value, reason)
        if connection is None:
            return
        with trio.CancelScope(shield=True), trio.move_on_after(self._call_timeout + self._connect_timeout):
            if log_out:
                # The key may be disconnected already (see _complete): reconnect it only to end it.
                if not connection.has_client:
                    await _quietly(connection.connect(timeout=self._connect_timeout))
                await connection.log_out()
            else:
                await connection.disconnect()

    def _count(self, outcome: str) -> None:
        """One login attempt for ``/metrics``: ``success``, or the reason it was refused or ended."""
        if self._metrics is not None:
            self._metrics.login_attempt(outcome)

    def _show(self, login: _Login, step: LoginStep, **fields: Any) -> None:
        before = login.view.step if login.view is not None else None
        if before is not None and step not in TRANSITIONS[before]:
            raise RuntimeError(f"illegal login transition {before.value} → {step.value}")
        reason = fields.pop("reason", None)
        login.view = LoginView(
            login_id=login.login_id,
            method=login.method,
            step=step,
            reason=reason,
            message=FAILURES[reason] if reason else None,
            expires_at=login.expires_at,
            label=login.label,
            **fields,
        )

    def _current_view(self, login: _Login) -> LoginView:
        if login.view is None:
            raise RuntimeError("a login is always shown once it has started")
        return login.view

    def _get(self, identity_id: int, login_id: str) -> _Login:
        login = self._logins.get(login_id)
        if login is None or login.identity_id != identity_id:
            raise InvalidInput("login_id", "names no login of yours; start the login again")
        return login

    @asynccontextmanager
    async def _serialized(self, identity_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(identity_id, trio.Lock())
        try:
            with trio.fail_after(self._step_timeout + self._call_timeout):
                await lock.acquire()
        except trio.TooSlowError:
            raise AccountNotReady("still finishing the previous login step") from None
        try:
            login = self._logins.get(self._current.get(identity_id, ""))
            view = None if login is None else login.view
            if login is not None and view is not None and not view.finished:
                due = self._clock() >= login.expires_at
                if due:
                    await self._fail(login, "expired")
            yield
        finally:
            lock.release()

    # -- housekeeping ---------------------------------------------------------------------
    async def sweep(self) -> int:
        """Expire abandoned logins and forget long-finished ones; returns how many expired."""
        now = self._clock()
        expired = 0
        for login in list(self._logins.values()):
            view = login.view
            lock = self._locks.setdefault(login.identity_id, trio.Lock())
            if view is not None and not view.finished and now >= login.expires_at and not lock.locked():
                async with lock:
                    await self._fail(login, "expired")
                expired += 1
            elif view is not None and view.finished and now >= login.expires_at + self._ttl:
                self._logins.pop(login.login_id, None)
                if self._current.get(login.identity_id) == login.login_id:
                    del self._current[login.identity_id]
        return expired

    async def _sweep_forever(self) -> None:
        while True:
            await trio.sleep(SWEEP_EVERY)
            await self.sweep()

    async def _close(self) -> None:
        for login in list(self._logins.values()):
            if login.view is not None and not login.view.finished:
                await self._fail(login, "cancelled")


async def _quietly(step: Any) -> None:
    try:
        await step
    except TelegramError:
        logger.info("could not reconnect a refused login to log it out", exc_info=True)


@asynccontextmanager
async def open_login_manager(**kwargs: Any) -> AsyncIterator[LoginManager]:
    """A ``LoginManager`` whose sweeper runs in a nursery that closes with the block.

    Entering does not block. Exiting cancels every unfinished login (disconnecting its
    client, storing nothing) and stops the sweeper.
    """
    manager = LoginManager(**kwargs)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(manager._sweep_forever)
        try:
            yield manager
        finally:
            with trio.CancelScope(shield=True):
                await manager._close()
            nursery.cancel_scope.cancel()
