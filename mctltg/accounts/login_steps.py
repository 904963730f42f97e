"""The login machine's steps as data: states, transitions, failure sentences, the view.

``accounts/login.py`` runs the machine; this module is what it runs on, and what the
CLI and the browser wizard read: a ``LoginView`` says which step is next (``needs_code``,
``needs_password``, ``needs_qr_scan``) or how the login ended (``done``, ``failed`` with a
reason code and one sentence). Phone numbers and codes are checked here, before any
Telegram call.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final, Literal

from mctltg.errors import InvalidInput
from mctltg.telegram import AccountProfile

__all__ = [
    "FAILURES",
    "NEXT_STEP",
    "TRANSITIONS",
    "LoginStep",
    "LoginView",
    "normalize_code",
    "normalize_phone",
]


class LoginStep(enum.Enum):
    NEEDS_CODE = "needs_code"
    NEEDS_PASSWORD = "needs_password"
    NEEDS_QR_SCAN = "needs_qr_scan"
    DONE = "done"
    FAILED = "failed"


#: The machine: where each step may lead. Anything else is a bug and raises.
TRANSITIONS: Final[dict[LoginStep, frozenset[LoginStep]]] = {
    LoginStep.NEEDS_CODE: frozenset({LoginStep.NEEDS_CODE, LoginStep.NEEDS_PASSWORD, LoginStep.DONE}),
    LoginStep.NEEDS_QR_SCAN: frozenset({LoginStep.NEEDS_QR_SCAN, LoginStep.NEEDS_PASSWORD, LoginStep.DONE}),
    LoginStep.NEEDS_PASSWORD: frozenset({LoginStep.NEEDS_PASSWORD, LoginStep.DONE}),
    LoginStep.DONE: frozenset(),
    LoginStep.FAILED: frozenset(),
}
#: Telegram's answer (``LoginProgress.next``) → the step it leads to.
NEXT_STEP: Final[dict[str, LoginStep]] = {
    "code": LoginStep.NEEDS_CODE,
    "password": LoginStep.NEEDS_PASSWORD,
    "qr_scan": LoginStep.NEEDS_QR_SCAN,
    "done": LoginStep.DONE,
}
#: Why a login ended (or a submission was refused) → the one sentence a person reads.
FAILURES: Final[dict[str, str]] = {
    "wrong_code": "That login code is not right; check the code Telegram sent and enter it again.",
    "code_expired": "The login code expired; start the login again to get a new code.",
    "wrong_password": "That two-step verification password is not right; enter it again.",
    "too_many_attempts": "Too many wrong attempts; start the login again.",
    "sign_up_refused": (
        "This phone number has no Telegram account, and mctltg does not create accounts; "
        "sign up in a Telegram app first."
    ),
    "phone_invalid": (
        "Telegram does not accept this phone number; give it as + and country code, e.g. +14155550123."
    ),
    "phone_banned": "Telegram has banned this phone number; it cannot log in.",
    "flood_wait": "Telegram asks to wait {seconds} s before another login attempt; start again after that.",
    "taken": (
        "This Telegram account is already connected on this server (under another of your labels, or "
        "by another identity); a Telegram account can be connected only once."
    ),
    "different_account": (
        "This is a different Telegram account from the one you signed in with; log in with that account."
    ),
    "already_connected": (
        "A Telegram account with this label is already connected for you; choose another label, "
        "or disconnect that account first."
    ),
    "limit": ("You already have the most Telegram accounts this server allows; delete one to add another."),
    "timeout": "Telegram did not answer in time; start the login again.",
    "unavailable": "Telegram could not be reached; check the connection and start the login again.",
    "telegram_error": "Telegram refused the login ({code}); start again later.",
    "storage": "The login worked but could not be saved; nothing was stored. Start again.",
    "expired": "The login took too long and was abandoned; start again.",
    "superseded": "A newer login replaced this one.",
    "cancelled": "The login was cancelled.",
    "internal": "The login failed unexpectedly; the operator can find details in the logs. Start again.",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginView:
    """What a login needs next, or how it ended; safe to show and to serialize."""

    login_id: str
    method: Literal["phone", "qr"]
    step: LoginStep
    reason: str | None = None
    message: str | None = None
    attempts_left: int | None = None
    retry_after_seconds: int | None = None
    code_length: int | None = None
    password_hint: str | None = None
    qr_url: str | None = None
    qr_expires_at: float | None = None
    expires_at: float = 0.0
    account: AccountProfile | None = None
    #: The label the account gets when this login completes.
    label: str = "main"

    @property
    def finished(self) -> bool:
        return self.step in (LoginStep.DONE, LoginStep.FAILED)


def normalize_phone(text: str) -> str:
    """``+<country><number>`` digits only, from what a person typed.

    Raises:
        InvalidInput: not an international number.
    """
    compact = re.sub(r"[\s().-]", "", text or "")
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", compact):
        raise InvalidInput("phone", "must be an international number: + and country code, e.g. +14155550123")
    return compact


def normalize_code(text: str) -> str:
    compact = re.sub(r"[\s-]", "", text or "")
    if not re.fullmatch(r"[0-9]{3,10}", compact):
        raise InvalidInput("code", "must be the digits of the login code Telegram sent")
    return compact
