"""Every exception mctltg raises on purpose, in one place.

Callers catch by meaning, and the tool error catalogue (``tools/failures.py``) turns
each of these into one plain sentence for the model. Messages never carry message
text, phone numbers, codes, passwords, tokens or key material: they are written to
logs and shown to clients.

    MctltgError
    ├── ConfigError            a setting is missing or malformed (the operator's fault)
    ├── InvalidInput           a tool or form argument is malformed (the caller's fault)
    │   ├── UnknownAccount     no account of the caller's has that label or id
    │   └── AccountLimitReached the identity already holds the most accounts allowed
    ├── PermissionDenied       the caller lacks a scope or a gate is closed
    ├── ProbableDuplicate      the same text went to the same peer moments ago (no key given)
    ├── StorageError           the database failed us
    │   ├── SealError          a sealed blob does not open (tampered, moved, wrong key)
    │   └── TelegramUserTaken  that Telegram account is connected by another identity
    ├── AccountError           the identity's Telegram account cannot serve the call
    │   ├── NoAccount          no Telegram account is connected for this identity
    │   ├── AccountRevoked     the account was disconnected or its session died
    │   └── AccountNotReady    the account is still connecting, or reconnecting
    └── TelegramError          Telegram (or the path to it) failed the call
        ├── TelegramTimeout    no answer within the call's deadline
        ├── TelegramUnavailable the connection dropped under the call
        ├── FloodWait          Telegram asks us to wait ``retry_after_seconds``
        ├── SessionDead        Telegram says the session no longer exists
        ├── PeerInvalid        Telegram does not know the peer as given
        └── TelegramRpcError   any other RPC error, keeping Telegram's code
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BROKEN_SESSION",
    "AccountBroken",
    "AccountError",
    "AccountLimitReached",
    "AccountNotReady",
    "AccountRevoked",
    "ConfigError",
    "FloodWait",
    "InvalidInput",
    "MctltgError",
    "NoAccount",
    "NotShared",
    "PeerInvalid",
    "PermissionDenied",
    "ProbableDuplicate",
    "SealError",
    "SessionDead",
    "StorageError",
    "TelegramError",
    "TelegramRpcError",
    "TelegramTimeout",
    "TelegramUnavailable",
    "TelegramUserTaken",
    "UnknownAccount",
]


class MctltgError(Exception):
    """Base of every deliberate mctltg error; ``str()`` is safe to show and to log."""


class ConfigError(MctltgError):
    """A setting is missing or malformed; startup stops with exit code 2.

    Args:
        variable: the environment variable's name, e.g. ``ENCRYPTION_KEY``.
        problem: what is wrong and what to do, without echoing a secret value.
    """

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


class InvalidInput(MctltgError):
    """An argument the caller gave is malformed or out of range.

    Args:
        field: the argument's name as the caller spelled it.
        problem: one sentence saying what was wrong and what to send instead.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class UnknownAccount(InvalidInput):
    """An ``account`` argument names no account of the caller's.

    The same sentence whether the label or id is unknown or belongs to someone else, so
    a caller never learns that another person's account exists.
    """

    def __init__(self, given: str) -> None:
        # The caller's own text, echoed only as printable characters (no line breaks, no bidi).
        shown = "".join(c for c in given if c.isprintable())[:40]
        super().__init__("account", f"no account labelled '{shown}'; list_my_accounts shows yours")


class AccountLimitReached(InvalidInput):
    """Adding one more Telegram account would pass ``MAX_ACCOUNTS_PER_IDENTITY``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            "account",
            f"you already have {limit} Telegram accounts here, the most this server allows; "
            "delete one (delete_telegram_account or the manage page) to add another",
        )


class PermissionDenied(MctltgError):
    """The caller is authenticated but may not do this (missing scope, closed gate)."""

    def __init__(self, message: str, *, scope: str | None = None) -> None:
        self.scope = scope
        super().__init__(message)


class ProbableDuplicate(MctltgError):
    """A keyless send repeats a send of the same text to the same peer within the window."""

    def __init__(self, peer: str, window_seconds: float) -> None:
        self.peer = peer
        self.window_seconds = window_seconds
        super().__init__(
            f"Not sent: the same text went to {peer} less than {window_seconds:g} s ago, so this looks "
            "like a repeated call. Check the chat before sending again; to send it once more on "
            "purpose, pass a new idempotency_key."
        )


class StorageError(MctltgError):
    """The database could not complete an operation; nothing half-written remains."""


class SealError(StorageError):
    """A sealed blob failed authentication: tampered, bound to another row, or another key."""


class TelegramUserTaken(StorageError):
    """The Telegram account being connected already belongs to another identity here."""

    def __init__(self) -> None:
        super().__init__(
            "This Telegram account is already connected: it is already connected by another "
            "identity on this server. Sign in with your own Telegram account."
        )


class AccountError(MctltgError):
    """The caller's Telegram account cannot serve this call right now."""


class NoAccount(AccountError):
    """No Telegram account is connected for this identity."""

    def __init__(self) -> None:
        super().__init__(
            "No Telegram account is connected for you; connect one with `mctltg login` "
            "or on the /telegram/connect page."
        )


class AccountRevoked(AccountError):
    """The account was disconnected, deleted, or Telegram ended its session."""

    def __init__(self) -> None:
        super().__init__(
            "Your Telegram session is no longer valid; reconnect your Telegram account "
            "(`mctltg login` or the /telegram/connect page)."
        )


#: What every surface (tools, send status, the manage page) says about an account whose
#: stored session does not open: one sentence, one fix.
BROKEN_SESSION: Final = (
    "Your stored Telegram session cannot be opened (it was changed, moved to another account, "
    "or sealed with another key), so it is not used: disconnect it, then connect your Telegram "
    "account again (`mctltg login` or the /telegram/connect page)."
)


class AccountBroken(AccountRevoked):
    """The account's sealed session does not open; it is marked broken until reconnected."""

    def __init__(self) -> None:
        AccountError.__init__(self, BROKEN_SESSION)


class AccountNotReady(AccountError):
    """The account's connection is being (re)established; retrying shortly will work."""

    def __init__(self, state: str) -> None:
        self.state = state
        super().__init__(f"Your Telegram account is {state}; try again in a few seconds.")


class TelegramError(MctltgError):
    """Telegram, or the connection to it, failed the call."""


class TelegramTimeout(TelegramError):
    """Telegram did not answer within the call's deadline."""

    def __init__(self, operation: str, seconds: float) -> None:
        self.operation = operation
        self.seconds = seconds
        super().__init__(
            f"Telegram did not answer {operation} within {seconds:g} s; the connection may be "
            "stalled. Try again shortly."
        )


class TelegramUnavailable(TelegramError):
    """The connection to Telegram dropped while the call was in flight."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        super().__init__(
            f"The connection to Telegram dropped during {operation}; it is reconnecting. Try again shortly."
        )


class FloodWait(TelegramError):
    """Telegram rate-limits this account: wait ``retry_after_seconds`` before retrying."""

    def __init__(self, retry_after_seconds: int, *, operation: str = "this call") -> None:
        self.retry_after_seconds = retry_after_seconds
        self.operation = operation
        super().__init__(
            f"Telegram asks to wait {retry_after_seconds} s before {operation} again "
            "(FLOOD_WAIT); do not retry sooner."
        )


class SessionDead(TelegramError):
    """Telegram says the session's auth key is gone (logged out, revoked, duplicated)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"Telegram ended this session ({code}); reconnect your Telegram account.")


class PeerInvalid(TelegramError):
    """Telegram does not recognise the peer as given (unknown id or stale access hash)."""

    def __init__(self, peer: str) -> None:
        self.peer = peer
        super().__init__(
            f"Telegram does not know the peer {peer}; call list_dialogs and use an id "
            "exactly as returned there."
        )


class TelegramRpcError(TelegramError):
    """Any other Telegram RPC error; ``code`` keeps Telegram's own name for it."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        super().__init__(message or f"Telegram refused the call ({code}).")


class NotShared(MctltgError):
    """The chat is not among those the person shares with assistants, or does not exist.

    One sentence for both on purpose: a refusal must not reveal whether an unshared chat
    exists (``telegram/sharing.py``).
    """

    def __init__(self, peer: str) -> None:
        self.peer = peer
        super().__init__(
            f"{peer} is not a chat shared with this assistant; use a chat list_dialogs returns "
            "(the person chooses shared chats on the manage page)."
        )
