"""Login operations that run ON the Telethon thread: phone code, 2FA password, QR token.

Each takes the login's Telethon client and its ``LoginHandle`` (what must stay with
the client between steps: the QR token and whether it was scanned) and returns a
``LoginProgress`` value saying what Telegram wants next. The answers a person can
cause (a wrong code, an expired code, a wrong password, a phone without an account)
come back as ``rejected`` values with a reason code, not exceptions; flood waits,
timeouts and dropped connections still raise and are translated by
``TelegramConnection.run``.

Signing up a new Telegram account is never attempted: Telegram's "sign up required"
answer becomes ``rejected: sign_up_refused``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, Literal

from telethon import errors as tl_errors
from telethon import events
from telethon.tl import functions, types

from mctltg.telegram.model import AccountProfile
from mctltg.telegram.on_loop.convert import profile_from_user

__all__ = [
    "QR_REFRESH_MARGIN",
    "LoginHandle",
    "LoginProgress",
    "RejectReason",
    "poll_qr",
    "send_code",
    "sign_in_code",
    "sign_in_password",
    "start_qr",
]

#: Seconds before a QR token's expiry at which a fresh one is fetched.
QR_REFRESH_MARGIN: Final = 2.0

RejectReason = Literal[
    "wrong_code",
    "code_expired",
    "wrong_password",
    "sign_up_refused",
    "phone_invalid",
    "phone_banned",
    "too_many_attempts",
]
NextStep = Literal["code", "password", "qr_scan", "done", "rejected"]

_RETRYABLE: Final = frozenset({"wrong_code", "wrong_password"})


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginProgress:
    """What Telegram wants next after one login step; plain values only."""

    next: NextStep
    reason: RejectReason | None = None
    profile: AccountProfile | None = None
    code_length: int | None = None
    password_hint: str | None = None
    qr_url: str | None = None
    qr_expires_at: float | None = None

    @property
    def retryable(self) -> bool:
        """A rejection the person can fix by typing again (wrong code or password)."""
        return self.reason in _RETRYABLE


class LoginHandle:
    """A login's state that lives beside its client on the Telethon thread.

    Trio code only passes it back into these operations; it never reads it.
    """

    def __init__(self) -> None:
        self.phone: str | None = None
        self.qr_token: bytes | None = None
        self.qr_expires_at: float = 0.0
        self.scanned: asyncio.Event | None = None


async def send_code(client: Any, handle: LoginHandle, phone: str) -> LoginProgress:
    """Ask Telegram to send a login code to ``phone``'s Telegram apps (or SMS)."""
    try:
        sent = await client.send_code_request(phone)
    except tl_errors.PhoneNumberInvalidError:
        return LoginProgress(next="rejected", reason="phone_invalid")
    except (tl_errors.PhoneNumberBannedError, tl_errors.PhoneNumberFloodError) as exc:
        reason: RejectReason = (
            "phone_banned" if isinstance(exc, tl_errors.PhoneNumberBannedError) else "too_many_attempts"
        )
        return LoginProgress(next="rejected", reason=reason)
    except tl_errors.PhoneNumberUnoccupiedError:
        return LoginProgress(next="rejected", reason="sign_up_refused")
    handle.phone = phone
    return LoginProgress(next="code", code_length=getattr(sent.type, "length", None))


async def sign_in_code(client: Any, handle: LoginHandle, code: str) -> LoginProgress:
    """Sign in with the code Telegram sent; may ask for the 2FA password next."""
    assert handle.phone is not None, "send_code runs first"
    try:
        user = await client.sign_in(handle.phone, code)
    except (tl_errors.PhoneCodeInvalidError, tl_errors.PhoneCodeEmptyError):
        return LoginProgress(next="rejected", reason="wrong_code")
    except (tl_errors.PhoneCodeExpiredError, tl_errors.PhoneCodeHashEmptyError):
        return LoginProgress(next="rejected", reason="code_expired")
    except tl_errors.PhoneNumberUnoccupiedError:
        return LoginProgress(next="rejected", reason="sign_up_refused")
    except tl_errors.SessionPasswordNeededError:
        return await _needs_password(client)
    return _done(user)


async def sign_in_password(client: Any, handle: LoginHandle, password: str) -> LoginProgress:
    """Finish a login with the account's two-step verification password (checked with SRP)."""
    try:
        user = await client.sign_in(password=password)
    except tl_errors.PasswordHashInvalidError:
        return LoginProgress(next="rejected", reason="wrong_password")
    return _done(user)


async def start_qr(client: Any, handle: LoginHandle) -> LoginProgress:
    """Export a QR login token and start listening for its acceptance."""
    if handle.scanned is None:
        scanned = asyncio.Event()
        handle.scanned = scanned

        async def on_token_accepted(_update: Any) -> None:
            scanned.set()

        client.add_event_handler(on_token_accepted, events.Raw(types.UpdateLoginToken))
    return await _export_token(client, handle)


async def poll_qr(client: Any, handle: LoginHandle, wait_seconds: float, now: float) -> LoginProgress:
    """Wait up to ``wait_seconds`` for the QR token to be accepted.

    Accepted: finish the login (or ask for the 2FA password). Not yet: the current
    token, or a fresh one when it is about to expire at ``now`` (the caller's clock).
    """
    assert handle.scanned is not None, "start_qr runs first"
    if not handle.scanned.is_set() and wait_seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(handle.scanned.wait(), wait_seconds)
    if handle.scanned.is_set() or now >= handle.qr_expires_at - QR_REFRESH_MARGIN:
        return await _export_token(client, handle)
    return _qr_progress(handle)


async def _export_token(client: Any, handle: LoginHandle) -> LoginProgress:
    request = functions.auth.ExportLoginTokenRequest(client.api_id, client.api_hash, [])
    try:
        answer = await client(request)
        if isinstance(answer, types.auth.LoginTokenMigrateTo):
            # The account lives on another DC: Telethon's own QRLogin.wait does the same.
            await client._switch_dc(answer.dc_id)
            answer = await client(functions.auth.ImportLoginTokenRequest(answer.token))
    except tl_errors.SessionPasswordNeededError:
        return await _needs_password(client)
    if isinstance(answer, types.auth.LoginTokenSuccess):
        user = answer.authorization.user
        await client._on_login(user)  # what QRLogin.wait does: marks the client logged in
        return _done(user)
    handle.qr_token = answer.token
    handle.qr_expires_at = _timestamp(answer.expires)
    if handle.scanned is not None:
        handle.scanned.clear()
    return _qr_progress(handle)


def _qr_progress(handle: LoginHandle) -> LoginProgress:
    assert handle.qr_token is not None
    token = base64.urlsafe_b64encode(handle.qr_token).decode("ascii").rstrip("=")
    return LoginProgress(
        next="qr_scan", qr_url=f"tg://login?token={token}", qr_expires_at=handle.qr_expires_at
    )


async def _needs_password(client: Any) -> LoginProgress:
    password = await client(functions.account.GetPasswordRequest())
    return LoginProgress(next="password", password_hint=getattr(password, "hint", None) or None)


def _done(user: Any) -> LoginProgress:
    if not isinstance(user, types.User):
        raise TypeError(f"Telegram answered the login with {type(user).__name__}, not a user")
    return LoginProgress(next="done", profile=profile_from_user(user))


def _timestamp(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value)
