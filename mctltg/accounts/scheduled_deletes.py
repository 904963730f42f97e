"""Deleting scheduled messages: a write behind the send gate, idempotent with a key.

A scheduled message has not reached anyone yet, but deleting it cancels something the
person (or a client acting for them) decided to send, so it takes the same gate as a
send: ALLOW_SEND, the send scope, the account's own consent and the per-peer write
limit. A closed gate is a preview naming the ids that would be deleted, and Telegram is
not called. With an ``idempotency_key`` the deletion is recorded in the send ledger
(pending before the call, completed after it), so a retry with the same key reports the
first call instead of deleting again; without one, a repeat is harmless anyway (the ids
are gone, Telegram deletes nothing more).
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal

import trio

from mctltg.accounts.directory import AccountDirectory
from mctltg.accounts.send_gate import GateDecision, evaluate, facts_for
from mctltg.errors import (
    AccountError,
    FloodWait,
    InvalidInput,
    PeerInvalid,
    StorageError,
    TelegramRpcError,
    TelegramTimeout,
    TelegramUnavailable,
)
from mctltg.oauth.scopes import MESSAGES_SEND
from mctltg.storage import AccountRow, SendRecord, Sends
from mctltg.telegram import PeerRef

__all__ = ["DeleteRequest", "ScheduledDeletion", "delete_scheduled"]

logger = logging.getLogger(__name__)

_CLEANUP_SECONDS: Final = 5.0
#: The audit row a keyed deletion carries from before the RPC to its end.
DELIVERY_TOOL: Final = "delete_scheduled_messages:delivery"
#: Errors that prove Telegram deleted nothing: the record is dropped, the key is free.
_REFUSED: Final = (FloodWait, PeerInvalid, TelegramRpcError, AccountError)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledDeletion:
    """What a ``delete_scheduled_messages`` call came to.

    Attributes:
        status: ``deleted`` (Telegram answered), ``draft`` (closed gate: nothing deleted)
            or ``unverified`` (the answer never came; look before deleting again).
        deleted: the ids Telegram reported deleted (on a replay: the ids asked for).
    """

    status: Literal["deleted", "draft", "unverified"]
    peer: str
    ids: tuple[int, ...]
    deleted: tuple[int, ...] = ()
    gate: GateDecision | None = None
    idempotency_key: str | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRequest:
    """One deletion as asked, with the keyed digest of "these ids in this chat" its key stands for."""

    identity_id: int
    has_send_scope: bool
    allow_send: bool
    ref: PeerRef
    ids: tuple[int, ...]
    key: str | None
    stored_key: str | None
    digest: str


async def delete_scheduled(
    request: DeleteRequest,
    *,
    directory: AccountDirectory,
    sends: Sends,
    row: AccountRow | None,
    limit_per_hour: int,
) -> ScheduledDeletion:
    """Run one deletion (the caller holds the key's lock when there is a key)."""
    peer = str(request.ref)
    if request.stored_key is not None:
        existing = None if row is None else await sends.get(row.id, request.stored_key)
        if existing is not None:
            return _replay(request, existing, peer)
    account = None if row is None or row.broken else row
    facts = facts_for(
        row,
        allow_send=request.allow_send,
        scope=MESSAGES_SEND,
        has_scope=request.has_send_scope,
        limit_per_hour=limit_per_hour,
    )
    decision = evaluate(facts)
    if decision.open and account is not None:
        recent = await sends.recent_count(account.id, peer)
        decision = evaluate(dataclasses.replace(facts, writes_last_hour=recent))
    if not decision.open or account is None:
        return _preview(request, peer, decision)
    if request.stored_key is None:
        telegram = await directory.account_for(request.identity_id, account.id)
        result_peer, deleted = await telegram.delete_scheduled(request.ref, list(request.ids))
        return ScheduledDeletion(status="deleted", peer=result_peer, ids=request.ids, deleted=tuple(deleted))
    begun = await sends.begin(
        identity_id=request.identity_id,
        account_id=account.id,
        key=request.stored_key,
        explicit_key=True,
        peer=peer,
        text_digest=request.digest,
        limit_per_hour=limit_per_hour,
        duplicate_window=0.0,
        peer_type=request.ref.kind,
        peer_id=request.ref.id,
        delivery_tool=DELIVERY_TOOL,
    )
    if begun.outcome == "rate_limited":
        return _preview(request, peer, evaluate(dataclasses.replace(facts, writes_last_hour=limit_per_hour)))
    if begun.outcome == "existing" and begun.record is not None:  # another process got there first
        return _replay(request, begun.record, peer)
    # A keyed write is never a "duplicate" (only keyless writes are checked for those).
    assert begun.record is not None, begun.outcome
    record = begun.record
    try:
        telegram = await directory.account_for(request.identity_id, account.id)
        result_peer, deleted = await telegram.delete_scheduled(request.ref, list(request.ids))
    except (TelegramTimeout, TelegramUnavailable):
        await _settle(sends.mark_unverified, record.id)
        return ScheduledDeletion(status="unverified", peer=peer, ids=request.ids, idempotency_key=request.key)
    except _REFUSED:
        await _settle(sends.discard, record.id)
        raise
    except BaseException:
        # Cancelled, or something unexpected after the request may have left: unknown.
        await _settle(sends.mark_unverified, record.id)
        raise
    try:
        with trio.CancelScope(shield=True):
            await sends.complete(
                record.id, message_id=min(request.ids), sent_date=time.time(), result_peer=result_peer
            )
    except StorageError:
        logger.warning("scheduled deletion %d: done, but recording it failed; it stays pending", record.id)
    return ScheduledDeletion(
        status="deleted",
        peer=result_peer,
        ids=request.ids,
        deleted=tuple(deleted),
        idempotency_key=request.key,
    )


def _replay(request: DeleteRequest, existing: SendRecord, peer: str) -> ScheduledDeletion:
    """The first call's outcome for a key used before (the same peer and ids, or refused)."""
    if existing.peer != peer or not hmac.compare_digest(existing.text_digest, request.digest):
        raise InvalidInput(
            "idempotency_key", "this key was already used for another write; use a new key for a new deletion"
        )
    status: Literal["deleted", "unverified"] = "deleted" if existing.state == "sent" else "unverified"
    return ScheduledDeletion(
        status=status,
        peer=existing.result_peer or peer,
        ids=request.ids,
        deleted=request.ids if status == "deleted" else (),
        idempotency_key=request.key,
        replayed=True,
    )


def _preview(request: DeleteRequest, peer: str, decision: GateDecision) -> ScheduledDeletion:
    return ScheduledDeletion(
        status="draft", peer=peer, ids=request.ids, gate=decision, idempotency_key=request.key
    )


async def _settle(write: Callable[[int], Awaitable[None]], record_id: int) -> None:
    """Record what became of a deletion even while being cancelled (bounded)."""
    with trio.CancelScope(shield=True), trio.move_on_after(_CLEANUP_SECONDS):
        try:
            await write(record_id)
        except StorageError:
            logger.warning("scheduled deletion %d: could not record its outcome", record_id)
