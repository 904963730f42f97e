"""Sending, gated and idempotent: the only path by which mctltg writes to Telegram.

``Sending.send`` runs the whole send in an order chosen so that no retry can send twice:

1. with an idempotency key, the key's record is looked up under a per-key lock, so a
   repeated or concurrent call with the same key reports the first send instead of
   sending (a record still ``pending`` here belongs to a send nobody is finishing: it
   becomes ``unverified``);
2. the gate (``send_gate.evaluate``) decides; a closed gate is a draft, and Telegram is
   not called at all;
3. a ``pending`` record is written *before* the message goes out, in the same
   transaction that checks the per-peer limit and (without a key) the duplicate window;
4. Telegram is called once, never retried; its answer completes the record. If the
   answer never comes (timeout, dropped connection, cancellation, a crash) the record
   stays or becomes ``unverified`` and the caller hears ``sent_unverified``; if Telegram
   refused, the record is dropped so the key can be used again.

Only a keyed digest of the text is kept (``text_digest``), enough to say "the same text
to the same peer" and nothing more.

``Sending.write`` runs every other write (pin, edit, delete, forward, react: a
``writes.Write``) in the same order, on the same ledger rows and key locks: the record's
digest is of the write's tool and fingerprint, its delivery audit row is
``<tool>:delivery``, and there is no duplicate window (only texts are sent twice by
mistake; a key still makes a retry safe). A write's ``prepare`` (``send_media``'s fetch)
runs between the gate and the ledger: never for a closed gate or a replayed key, and a
failing one leaves nothing recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final, Literal

import trio

from mctltg.accounts.directory import AccountDirectory
from mctltg.accounts.scheduled_deletes import DeleteRequest, ScheduledDeletion, delete_scheduled
from mctltg.accounts.send_gate import GateDecision, GateFacts, evaluate, facts_for
from mctltg.accounts.writes import Write, WriteOutcome
from mctltg.errors import (
    AccountError,
    FloodWait,
    InvalidInput,
    PeerInvalid,
    ProbableDuplicate,
    StorageError,
    TelegramRpcError,
    TelegramTimeout,
    TelegramUnavailable,
)
from mctltg.oauth.scopes import MESSAGES_SEND
from mctltg.storage import AccountRow, SendRecord, Sends
from mctltg.telegram import ActionResult, PeerRef

__all__ = ["SendOutcome", "SendPolicy", "Sending", "StatusReport"]

logger = logging.getLogger(__name__)

_CLEANUP_SECONDS: Final = 5.0

#: Errors that prove Telegram did not deliver: the record is dropped, the key is free.
_REFUSED: Final = (FloodWait, PeerInvalid, TelegramRpcError, AccountError)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendPolicy:
    """The operator's limits (``SEND_RATE_LIMIT_PER_HOUR``, ``SEND_DUPLICATE_WINDOW``)."""

    limit_per_hour: int = 20
    duplicate_window: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SendOutcome:
    """What a send call came to.

    Attributes:
        status: ``sent`` (Telegram confirmed), ``draft`` (the gate is closed; nothing was
            sent) or ``sent_unverified`` (it may have been delivered: never resend).
        peer: canonical peer when Telegram answered, else the peer as named.
        replayed: true when this reports an earlier call with the same key.
    """

    status: Literal["sent", "draft", "sent_unverified"]
    peer: str
    message_id: int | None = None
    date: float | None = None
    gate: GateDecision | None = None
    idempotency_key: str | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    """The gate explained for one identity, without a peer and without sending."""

    decision: GateDecision
    server_allow_send: bool
    has_send_scope: bool
    connected: bool
    send_enabled: bool


class Sending:
    """Gated, idempotent sends and writes on existing messages (``Write``) for every identity.

    Args:
        directory: identities → accounts, and Telegram calls.
        sends: the send records.
        policy: the operator's limits.
        digest_key: secret bytes keying the text digest (derived from ``ENCRYPTION_KEY``).
    """

    def __init__(
        self, *, directory: AccountDirectory, sends: Sends, policy: SendPolicy, digest_key: bytes
    ) -> None:
        self._directory = directory
        self._sends = sends
        self.policy = policy
        self._digest_key = hmac.new(digest_key, b"mctltg send text digest v1", hashlib.sha256).digest()
        self._locks: dict[tuple[int, str], tuple[trio.Lock, int]] = {}

    # -- the gate, explained -----------------------------------------------------------------
    async def _account(self, identity_id: int) -> AccountRow | None:
        row = await self._directory.accounts.for_identity(identity_id)
        return row if row is not None and row.status == "active" else None

    @staticmethod
    def _usable(account: AccountRow | None) -> AccountRow | None:
        return None if account is None or account.broken else account

    async def status(self, *, identity_id: int, has_send_scope: bool, allow_send: bool) -> StatusReport:
        """The gate for ``send_message`` without a peer (the per-peer limit is not checked)."""
        account = await self._account(identity_id)
        facts = facts_for(account, allow_send=allow_send, scope=MESSAGES_SEND, has_scope=has_send_scope)
        return StatusReport(
            decision=evaluate(facts),
            server_allow_send=allow_send,
            has_send_scope=has_send_scope,
            connected=facts.connected,
            send_enabled=facts.send_enabled,
        )

    # -- sending -------------------------------------------------------------------------------
    def text_digest(self, identity_id: int, peer: str, text: str) -> str:
        message = f"{identity_id}\x00{peer}\x00{text}".encode()
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()

    async def send(
        self,
        *,
        identity_id: int | None,
        has_send_scope: bool,
        allow_send: bool,
        ref: PeerRef,
        text: str,
        reply_to: int | None = None,
        key: str | None = None,
        schedule_at: float | None = None,
    ) -> SendOutcome:
        """Send ``text`` to ``ref`` if the gate is open; see the module docstring for the order.

        With ``schedule_at`` (epoch seconds) Telegram queues the message and sends it then;
        the gate, the ledger and the key treat it exactly as a send (the time is part of
        what a key stands for).

        Raises:
            InvalidInput: ``key`` was used before for a different peer or text.
            ProbableDuplicate: without a key, the same text went to the same peer moments ago.
            FloodWait, PeerInvalid, TelegramRpcError, AccountError: Telegram refused (nothing sent).
            StorageError: the send could not be recorded (nothing sent).
        """
        peer = str(ref)
        if identity_id is None:
            facts = facts_for(
                None,
                authenticated=False,
                allow_send=allow_send,
                scope=MESSAGES_SEND,
                has_scope=has_send_scope,
            )
            return SendOutcome(status="draft", peer=peer, gate=evaluate(facts), idempotency_key=key)
        scheduled = text if schedule_at is None else f"{text}\x00schedule_at:{schedule_at:.0f}"
        digest = self.text_digest(identity_id, peer, scheduled)
        if key is None:
            return await self._send_unlocked(
                identity_id, has_send_scope, allow_send, ref, text, reply_to, None, digest, schedule_at
            )
        async with self._key_lock(identity_id, key):
            existing = await self._sends.get(identity_id, _stored_key(key))
            if existing is not None:
                return await self._replay(existing, peer, digest, key)
            return await self._send_unlocked(
                identity_id, has_send_scope, allow_send, ref, text, reply_to, key, digest, schedule_at
            )

    async def _send_unlocked(
        self,
        identity_id: int,
        has_send_scope: bool,
        allow_send: bool,
        ref: PeerRef,
        text: str,
        reply_to: int | None,
        key: str | None,
        digest: str,
        schedule_at: float | None = None,
    ) -> SendOutcome:
        peer = str(ref)
        row = await self._account(identity_id)
        account = self._usable(row)
        facts = facts_for(
            row,
            allow_send=allow_send,
            scope=MESSAGES_SEND,
            has_scope=has_send_scope,
            limit_per_hour=self.policy.limit_per_hour,
        )
        decision = evaluate(facts)
        if decision.open:
            # Only now is the limiter worth a read: the earlier conditions are all open.
            recent = await self._sends.recent_count(identity_id, peer)
            decision = evaluate(_with_writes(facts, recent))
        if not decision.open or account is None:
            return SendOutcome(status="draft", peer=peer, gate=decision, idempotency_key=key)
        begun = await self._sends.begin(
            identity_id=identity_id,
            account_id=account.id,
            key=_stored_key(key) if key is not None else f"auto:{secrets.token_hex(12)}",
            explicit_key=key is not None,
            peer=peer,
            text_digest=digest,
            limit_per_hour=self.policy.limit_per_hour,
            duplicate_window=self.policy.duplicate_window,
            peer_type=ref.kind,
            peer_id=ref.id,
        )
        if begun.outcome == "rate_limited":
            decision = evaluate(_with_writes(facts, self.policy.limit_per_hour))
            return SendOutcome(status="draft", peer=peer, gate=decision, idempotency_key=key)
        if begun.outcome == "duplicate":
            raise ProbableDuplicate(peer, self.policy.duplicate_window)
        assert begun.record is not None
        if begun.outcome == "existing":
            return await self._replay(begun.record, peer, digest, key)
        return await self._deliver(identity_id, begun.record, ref, text, reply_to, key, schedule_at)

    async def _deliver(
        self,
        identity_id: int,
        record: SendRecord,
        ref: PeerRef,
        text: str,
        reply_to: int | None,
        key: str | None,
        schedule_at: float | None = None,
    ) -> SendOutcome:
        try:
            account = await self._directory.account_for(identity_id)
            if schedule_at is None:
                sent = await account.send_text(ref, text, reply_to=reply_to, random_id=record.random_id)
            else:
                sent = await account.send_scheduled(
                    ref, text, when=schedule_at, reply_to=reply_to, random_id=record.random_id
                )
        except (TelegramTimeout, TelegramUnavailable):
            await self._settle(self._sends.mark_unverified, record.id)
            logger.warning("send %d: no answer from Telegram; marked unverified, not retried", record.id)
            return SendOutcome(status="sent_unverified", peer=str(ref), idempotency_key=key)
        except _REFUSED:
            await self._settle(self._sends.discard, record.id)
            raise
        except BaseException:
            # Cancelled, or something unexpected after the request may have left: unknown.
            await self._settle(self._sends.mark_unverified, record.id)
            raise
        try:
            with trio.CancelScope(shield=True):
                await self._sends.complete(
                    record.id, message_id=sent.message_id, sent_date=sent.date, result_peer=sent.peer
                )
        except StorageError:
            logger.warning("send %d: delivered, but recording it failed; it stays unverified", record.id)
        return SendOutcome(
            status="sent", peer=sent.peer, message_id=sent.message_id, date=sent.date, idempotency_key=key
        )

    async def _replay(self, record: SendRecord, peer: str, digest: str, key: str | None) -> SendOutcome:
        if record.peer != peer or not hmac.compare_digest(record.text_digest, digest):
            raise InvalidInput(
                "idempotency_key",
                "this key was already used for a different peer or text; use a new key for a new message",
            )
        if record.state == "sent" and record.message_id is not None:
            return SendOutcome(
                status="sent",
                peer=record.result_peer or record.peer,
                message_id=record.message_id,
                date=record.sent_date,
                idempotency_key=key,
                replayed=True,
            )
        if record.state == "pending":
            # Under the key's lock nobody in this process is sending it: its sender is gone.
            await self._settle(self._sends.mark_unverified, record.id)
        return SendOutcome(status="sent_unverified", peer=record.peer, idempotency_key=key, replayed=True)

    @staticmethod
    async def _settle(write: Callable[[int], Awaitable[None]], record_id: int) -> None:
        """Record what became of a send even while being cancelled (bounded)."""
        with trio.CancelScope(shield=True), trio.move_on_after(_CLEANUP_SECONDS):
            try:
                await write(record_id)
            except StorageError:
                logger.warning("send %d: could not record its outcome", record_id, exc_info=True)

    @asynccontextmanager
    async def _key_lock(self, identity_id: int, key: str) -> AsyncIterator[None]:
        slot = (identity_id, key)
        lock, users = self._locks.get(slot, (trio.Lock(), 0))
        self._locks[slot] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[slot]
            if users <= 1:
                del self._locks[slot]
            else:
                self._locks[slot] = (lock, users - 1)

    async def delete_scheduled(
        self,
        *,
        identity_id: int,
        has_send_scope: bool,
        allow_send: bool,
        ref: PeerRef,
        ids: tuple[int, ...],
        key: str | None,
    ) -> ScheduledDeletion:
        """Delete scheduled messages behind the send gate (``scheduled_deletes``)."""
        label = "\x00delete_scheduled:" + ",".join(str(i) for i in sorted(ids))
        request = DeleteRequest(
            identity_id=identity_id,
            has_send_scope=has_send_scope,
            allow_send=allow_send,
            ref=ref,
            ids=ids,
            key=key,
            stored_key=None if key is None else _stored_key(key),
            digest=self.text_digest(identity_id, str(ref), label),
        )

        async def run() -> ScheduledDeletion:
            return await delete_scheduled(
                request,
                directory=self._directory,
                sends=self._sends,
                row=await self._account(identity_id),
                limit_per_hour=self.policy.limit_per_hour,
            )

        if key is None:
            return await run()
        async with self._key_lock(identity_id, key):
            return await run()

    async def abandon_pending(self) -> int:
        """At startup: sends left ``pending`` by a process that died become ``unverified``."""
        return await self._sends.abandon_pending()

    # -- writes on existing messages ----------------------------------------------------------
    async def write(
        self, *, identity_id: int | None, has_scope: bool, allow_send: bool, write: Write, key: str | None
    ) -> WriteOutcome:
        """Do ``write`` behind the send gate, once: the same order as :meth:`send`.

        Raises:
            InvalidInput: ``key`` was used before for a different write.
            FloodWait, PeerInvalid, TelegramRpcError, AccountError: Telegram refused (nothing done).
            StorageError: the write could not be recorded (nothing done).
        """
        peer = str(write.ref)
        if identity_id is None:
            facts = facts_for(
                None, authenticated=False, allow_send=allow_send, scope=write.scope, has_scope=has_scope
            )
            return WriteOutcome(status="draft", peer=peer, gate=evaluate(facts), idempotency_key=key)
        digest = self.text_digest(identity_id, peer, f"{write.tool}\x00{write.fingerprint}")
        if key is None:
            return await self._write_unlocked(identity_id, has_scope, allow_send, write, None, digest)
        async with self._key_lock(identity_id, key):
            existing = await self._sends.get(identity_id, _stored_key(key))
            if existing is not None:
                return await self._write_replay(existing, peer, digest, key)
            return await self._write_unlocked(identity_id, has_scope, allow_send, write, key, digest)

    async def _write_unlocked(
        self, identity_id: int, has_scope: bool, allow_send: bool, write: Write, key: str | None, digest: str
    ) -> WriteOutcome:
        peer = str(write.ref)
        row = await self._account(identity_id)
        account = self._usable(row)
        facts = facts_for(
            row,
            allow_send=allow_send,
            scope=write.scope,
            has_scope=has_scope,
            limit_per_hour=self.policy.limit_per_hour,
        )
        decision = evaluate(facts)
        if decision.open:
            decision = evaluate(_with_writes(facts, await self._sends.recent_count(identity_id, peer)))
        if not decision.open or account is None:
            return WriteOutcome(status="draft", peer=peer, gate=decision, idempotency_key=key)
        if write.prepare is not None:
            await write.prepare()  # e.g. fetch the file: a failure here leaves no row behind
        begun = await self._sends.begin(
            identity_id=identity_id,
            account_id=account.id,
            key=_stored_key(key) if key is not None else f"auto:{secrets.token_hex(12)}",
            explicit_key=key is not None,
            peer=peer,
            text_digest=digest,
            limit_per_hour=self.policy.limit_per_hour,
            duplicate_window=0.0,  # only texts can be "the same message twice by mistake"
            peer_type=write.ref.kind,
            peer_id=write.ref.id,
            delivery_tool=f"{write.tool}:delivery",
        )
        if begun.outcome in ("rate_limited", "duplicate"):
            decision = evaluate(_with_writes(facts, self.policy.limit_per_hour))
            return WriteOutcome(status="draft", peer=peer, gate=decision, idempotency_key=key)
        assert begun.record is not None
        if begun.outcome == "existing":
            return await self._write_replay(begun.record, peer, digest, key)
        record = begun.record
        try:
            telegram = await self._directory.account_for(identity_id)
            result = await write.perform(telegram, record.random_id)
        except (TelegramTimeout, TelegramUnavailable):
            await self._settle(self._sends.mark_unverified, record.id)
            logger.warning("write %d: no answer from Telegram; marked unverified, not retried", record.id)
            return WriteOutcome(status="unverified", peer=peer, idempotency_key=key)
        except _REFUSED:
            await self._settle(self._sends.discard, record.id)
            raise
        except BaseException:
            await self._settle(self._sends.mark_unverified, record.id)
            raise
        single = result.message_ids[0] if len(result.message_ids) == 1 else 0
        try:
            with trio.CancelScope(shield=True):
                await self._sends.complete(
                    record.id, message_id=single, sent_date=record.created_at, result_peer=result.peer
                )
        except StorageError:
            logger.warning("write %d: done, but recording it failed; it stays unverified", record.id)
        return WriteOutcome(status="done", peer=result.peer, result=result, idempotency_key=key)

    async def _write_replay(
        self, record: SendRecord, peer: str, digest: str, key: str | None
    ) -> WriteOutcome:
        if record.peer != peer or not hmac.compare_digest(record.text_digest, digest):
            raise InvalidInput(
                "idempotency_key",
                "this key was already used for a different action; use a new key for a new action",
            )
        if record.state == "sent":
            result_peer = record.result_peer or record.peer
            ids = (record.message_id,) if record.message_id else ()
            result = ActionResult(peer=result_peer, message_ids=ids)
            return WriteOutcome(
                status="done", peer=result_peer, result=result, idempotency_key=key, replayed=True
            )
        if record.state == "pending":
            await self._settle(self._sends.mark_unverified, record.id)
        return WriteOutcome(status="unverified", peer=record.peer, idempotency_key=key, replayed=True)


def _stored_key(key: str) -> str:
    """Callers' keys and the keys made up for keyless sends live in separate namespaces."""
    return f"key:{key}"


def _with_writes(facts: GateFacts, writes: int) -> GateFacts:
    return dataclasses.replace(facts, writes_last_hour=writes)
