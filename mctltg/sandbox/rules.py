"""What the world's population methods accept, phrased as Telegram would refuse it.

The population API (``add_user``, ``send`` …) is called by tests and the demo, not by
Telethon, so refusals there are ``ValueError``\\ s with the Telegram error in the text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar

from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.handlers_login import normalize_phone

if TYPE_CHECKING:
    from collections.abc import Callable

    from mctltg.sandbox.state import WorldState

__all__ = ["USERNAME", "check_username", "phone_digits", "refused_as_value_error"]

T = TypeVar("T")

USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,31}")
"""Telegram's username shape (3 characters allowed here so that the demo can be @ada)."""


def check_username(state: WorldState, username: str | None) -> None:
    """Raise ``ValueError`` for a malformed username or one a user or channel holds."""
    if username is None:
        return
    if not USERNAME.fullmatch(username):
        raise ValueError("usernames are 3-32 letters, digits or underscores, starting with a letter")
    wanted = username.lower()
    holders = [u.username for u in state.users.values()] + [c.username for c in state.channels.values()]
    if any(holder and holder.lower() == wanted for holder in holders):
        raise ValueError(f"username {username!r} is taken")


def phone_digits(phone: str) -> str:
    """The digits of a phone number, or ``ValueError`` if Telegram would call it invalid."""
    try:
        return normalize_phone(phone)
    except RpcFault as exc:
        raise ValueError(f"malformed phone number ({exc.message})") from None


def refused_as_value_error(action: Callable[[], T]) -> T:
    """Run a world change; an RPC refusal becomes a ``ValueError`` naming the RPC error."""
    try:
        return action()
    except RpcFault as exc:
        raise ValueError(f"Telegram would refuse this: {exc.message}") from None
