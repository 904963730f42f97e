"""The scope catalogue and scope-string handling (RFC 6749 §3.3).

Scopes are the unit of consent and of tool permission: each tool names the one scope
it needs, and a token carries the scopes its identity's tier and its person's consent
allow. Unknown scopes in a request are dropped rather than refused, because real
clients send extras (``openid``, ``offline_access``) and refusing them breaks sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = [
    "ACCOUNT_MANAGE",
    "ADMIN_USERS",
    "ADMIN_USERS_READ",
    "DIALOGS_READ",
    "DRAFTS_WRITE",
    "DRAFT_SCOPES",
    "MESSAGES_PIN",
    "MESSAGES_READ",
    "MESSAGES_SEND",
    "SCOPES",
    "SEND_SCOPES",
    "format_scope",
    "parse_scope",
]

DIALOGS_READ: Final = "telegram:dialogs:read"
MESSAGES_READ: Final = "telegram:messages:read"
DRAFTS_WRITE: Final = "telegram:drafts:write"
MESSAGES_SEND: Final = "telegram:messages:send"
MESSAGES_PIN: Final = "telegram:messages:pin"
ACCOUNT_MANAGE: Final = "account:manage"
ADMIN_USERS: Final = "admin:users"
#: The read-only half of ``admin:users``: the roster and anyone's audit log, no changes.
ADMIN_USERS_READ: Final = "admin:users:read"

#: Every scope the server knows, in the order they widen access.
SCOPES: Final = (
    DIALOGS_READ,
    MESSAGES_READ,
    DRAFTS_WRITE,
    MESSAGES_SEND,
    MESSAGES_PIN,
    ACCOUNT_MANAGE,
    ADMIN_USERS,
    ADMIN_USERS_READ,
)

#: Scopes that act on the person's behalf; the consent screen's "read-only" choice drops them.
SEND_SCOPES: Final = frozenset({MESSAGES_SEND, MESSAGES_PIN})

#: Scopes that write only into the person's own Telegram drafts (nothing reaches anyone else):
#: the consent screen's middle level, "read and draft"; "read and send" includes them too.
DRAFT_SCOPES: Final = frozenset({DRAFTS_WRITE})

_MAX_SCOPE_CHARS: Final = 2048


def parse_scope(text: str | None) -> frozenset[str] | None:
    """The known scopes in a space-separated scope string; None when none was given.

    Unknown tokens are dropped. A string that names no known scope at all counts as
    "not given" (None), so the default set applies, as RFC 6749 §3.3 allows.

    Raises:
        ValueError: the string is absurdly long.
    """
    if text is None or not text.strip():
        return None
    if len(text) > _MAX_SCOPE_CHARS:
        raise ValueError(f"scope is longer than {_MAX_SCOPE_CHARS} characters")
    known = frozenset(token for token in text.split() if token in SCOPES)
    return known or None


def format_scope(scopes: Iterable[str]) -> str:
    """A scope string in catalogue order (stable, so equal sets render equally)."""
    wanted = set(scopes)
    return " ".join(scope for scope in SCOPES if scope in wanted)
