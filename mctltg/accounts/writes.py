"""The values of a gated write on existing messages: what is asked, and what came of it.

``send_message`` has its own outcome (``SendOutcome``); every other write (edit, delete,
forward, react, pin) is one :class:`Write` handed to ``Sending.write``, which runs it
through the same gate, key lock and ledger as a send, so all writes behave one way: a
closed gate is a preview and no Telegram call, a repeated key reports the first call,
and a call whose answer never came is never repeated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from mctltg.accounts.send_gate import GateDecision
from mctltg.telegram import ActionResult, PeerRef, TelegramAccount

__all__ = ["Write", "WriteOutcome"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    """One write on existing messages, as the gate and the ledger see it.

    Attributes:
        tool: the tool's name; its delivery audit row is ``<tool>:delivery``.
        scope: the OAuth scope this write needs (named when the gate closes on it).
        ref: the peer the per-peer rate limit and the audit row count it against.
        fingerprint: exactly what is done (ids, text, emoji); only a keyed digest of it
            is kept, so a key reused for something else is refused.
        perform: the Telegram call, given the account and the ledger's ``random_id``.
        prepare: work that must succeed before anything is recorded (``send_media``
            fetches and checks its file here): it runs only once the gate is open and the
            key is new, and when it raises, no ledger row exists and Telegram is not called.
    """

    tool: str
    scope: str
    ref: PeerRef
    fingerprint: str
    perform: Callable[[TelegramAccount, int], Awaitable[ActionResult]]
    prepare: Callable[[], Awaitable[None]] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteOutcome:
    """What a gated write came to.

    Attributes:
        status: ``done`` (Telegram confirmed), ``draft`` (the gate is closed; nothing was
            done) or ``unverified`` (it may have happened: never repeat it).
        peer: canonical peer when Telegram answered, else the peer as named.
        result: Telegram's answer (``done`` only; a replay knows only a single result id).
        replayed: true when this reports an earlier call with the same key.
    """

    status: Literal["done", "draft", "unverified"]
    peer: str
    result: ActionResult | None = None
    gate: GateDecision | None = None
    idempotency_key: str | None = None
    replayed: bool = False
