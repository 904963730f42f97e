"""The send gate: the one pure function that decides whether a write really happens.

Sending from someone's personal Telegram is the most dangerous thing mctltg does, so
every condition is checked in one place, in a fixed order, and the first that fails is
named. ``send_message`` and every other write (pin, edit, delete, forward, react) turn
a closed gate into a draft preview, ``get_my_send_status`` into an explanation; all
call :func:`evaluate` with facts gathered by their shell, so they can never disagree.

The conditions, in order:

1. ``identity``: the call comes from an authenticated identity (in operator mode, the
   operator identity counts: the operator is authenticated by having the machine);
2. ``server_allow_send``: the operator set ``ALLOW_SEND=true``;
3. ``scope``: the access token carries the scope for this write
   (``telegram:messages:send`` for sends, edits, deletes, forwards and reactions, or
   ``telegram:messages:pin`` for pins);
4. ``send_enabled``: the account's owner turned real sends on (off for every new account);
5. ``rate_limit``: fewer than the per-hour limit of writes to this peer so far.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from mctltg.errors import BROKEN_SESSION

__all__ = ["GATE_ORDER", "GateAccount", "GateCode", "GateDecision", "GateFacts", "evaluate", "facts_for"]

GateCode = Literal["identity", "server_allow_send", "scope", "send_enabled", "rate_limit"]

#: The conditions in the order they are checked; the first failing one is reported.
GATE_ORDER: Final[tuple[GateCode, ...]] = (
    "identity",
    "server_allow_send",
    "scope",
    "send_enabled",
    "rate_limit",
)

CONSENT_HINT: Final = (
    "You have not turned real sends on for your Telegram account. Turn them on with "
    "set_send_consent (enabled=true), or call get_my_send_status to see what blocks sending."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class GateFacts:
    """Everything the gate looks at, gathered by the caller.

    Attributes:
        authenticated: the call has an identity.
        server_allow_send: the server's ``ALLOW_SEND`` setting.
        scope: the scope this write needs (named in the reason).
        has_scope: the token carries ``scope``.
        connected: the identity has an active Telegram account whose session opens.
        broken: it has one, but its stored session does not open (``BROKEN_SESSION``).
        send_enabled: that account's own consent to real sends.
        writes_last_hour: writes to this peer in the last hour; None skips the check
            (there is no peer, as in ``get_my_send_status``).
        limit_per_hour: the per-peer limit.
    """

    authenticated: bool
    server_allow_send: bool
    scope: str
    has_scope: bool
    connected: bool
    send_enabled: bool
    broken: bool = False
    writes_last_hour: int | None = None
    limit_per_hour: int = 20


class GateAccount(Protocol):
    """What the gate reads of an identity's active account row."""

    @property
    def broken(self) -> bool: ...

    @property
    def send_enabled(self) -> bool: ...


def facts_for(
    account: GateAccount | None,
    *,
    authenticated: bool = True,
    allow_send: bool,
    scope: str,
    has_scope: bool,
    limit_per_hour: int | None = None,
) -> GateFacts:
    """The facts for a caller whose active account is ``account`` (None: none, or no identity).

    A broken account (its session does not open) counts as not connected, and says so.
    """
    usable = account is not None and not account.broken
    facts = GateFacts(
        authenticated=authenticated,
        server_allow_send=allow_send,
        scope=scope,
        has_scope=has_scope,
        connected=usable,
        send_enabled=account is not None and not account.broken and account.send_enabled,
        broken=account is not None and account.broken,
    )
    return facts if limit_per_hour is None else dataclasses.replace(facts, limit_per_hour=limit_per_hour)


@dataclass(frozen=True, slots=True, kw_only=True)
class GateDecision:
    """The gate's answer: open, or the first failing condition and what to do about it."""

    open: bool
    code: GateCode | None = None
    reason: str | None = None
    hint: str | None = None


OPEN: Final = GateDecision(open=True)


def evaluate(facts: GateFacts) -> GateDecision:
    """Decide; the first failing condition in ``GATE_ORDER`` closes the gate."""
    if not facts.authenticated:
        return GateDecision(
            open=False,
            code="identity",
            reason="no authenticated identity: real writes need a signed-in user",
        )
    if not facts.server_allow_send:
        return GateDecision(
            open=False,
            code="server_allow_send",
            reason="the server has ALLOW_SEND=false: its operator must set ALLOW_SEND=true for real writes",
        )
    if not facts.has_scope:
        return GateDecision(
            open=False,
            code="scope",
            reason=f"your access token lacks the {facts.scope} scope: reconnect the client and grant it",
        )
    if not facts.connected and facts.broken:
        return GateDecision(open=False, code="send_enabled", reason=BROKEN_SESSION)
    if not facts.connected:
        return GateDecision(
            open=False,
            code="send_enabled",
            reason="no Telegram account is connected for you, so nothing can be sent: connect one first",
        )
    if not facts.send_enabled:
        return GateDecision(
            open=False,
            code="send_enabled",
            reason="your Telegram account has real sends turned off (send_enabled=false)",
            hint=CONSENT_HINT,
        )
    if facts.writes_last_hour is not None and facts.writes_last_hour >= facts.limit_per_hour:
        return GateDecision(
            open=False,
            code="rate_limit",
            reason=(
                f"the per-peer write limit is spent ({facts.limit_per_hour} per hour to one peer): "
                "wait, or write to fewer peers less often"
            ),
        )
    return OPEN
