"""Disconnect and delete a Telegram account, safely against calls in flight.

The order is what makes it safe. The database copy of the session goes first
(``revoke`` erases it, ``delete`` removes the row): from then on no task can load
the session again, because the pool's tasks only ever load it from there. Only then
is the live task retired: it ends the session at Telegram (``auth.logOut``, best
effort, bounded), stops, and does not write the session back. A tool call racing
with this either finishes on the live connection, or is told its account is gone;
a call that restarts the account a moment later finds no session and is refused —
the session is never reloaded after a revoke.

Disconnect is soft: the row stays (``revoked``), so the identity can connect again.
Delete is hard: the row and everything keyed by it (the sealed session with its
entity cache, per-account metadata via ``ON DELETE CASCADE``) are removed and the
WAL is checkpointed, leaving no byte of the account in the database file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mctltg.accounts.directory import AccountDirectory

__all__ = ["DeleteOutcome", "DisconnectOutcome", "delete_account", "disconnect_account", "expire_account"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class DisconnectOutcome:
    disconnected: bool
    had_active_session: bool
    #: The label of the account acted on (None when there was none).
    label: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteOutcome:
    deleted: bool
    had_active_session: bool
    label: str | None = None


async def disconnect_account(
    directory: AccountDirectory, identity_id: int, account: str | int | None = None
) -> DisconnectOutcome:
    """Soft revoke one of the identity's accounts (label or id; default when omitted).

    Session erased, task stopped, row kept as ``revoked``. Idempotent: an account that
    is not connected gets ``disconnected=False``.

    Raises:
        UnknownAccount: ``account`` names no account of this identity (nothing changes).
    """
    row = await directory.find(identity_id, account)
    if row is None or row.status == "revoked":
        label = None if row is None else row.label
        return DisconnectOutcome(disconnected=False, had_active_session=False, label=label)
    had_session = row.status == "active" and row.has_session
    await directory.accounts.revoke(row.id)
    directory.forget_account(row.id)
    await directory.pool.retire(row.id, log_out=True)
    logger.info("account %d: disconnected by its owner", row.id)
    return DisconnectOutcome(disconnected=True, had_active_session=had_session, label=row.label)


async def delete_account(
    directory: AccountDirectory, identity_id: int, account: str | int | None = None
) -> DeleteOutcome:
    """Hard delete one of the identity's accounts (label or id; default when omitted).

    Its sealed session, entity cache and metadata go with it; when it was the default,
    the oldest remaining account becomes the default. Idempotent: an identity without
    an account row gets ``deleted=False``.

    Raises:
        UnknownAccount: ``account`` names no account of this identity (nothing changes).
    """
    row = await directory.find(identity_id, account)
    if row is None:
        return DeleteOutcome(deleted=False, had_active_session=False)
    had_session = row.status == "active" and row.has_session
    await directory.accounts.delete(row.id)
    directory.forget_account(row.id)
    if row.is_default:
        directory.forget_identity(identity_id)  # another account became the default
    await directory.pool.retire(row.id, log_out=True)
    logger.info("account %d: deleted by its owner", row.id)
    return DeleteOutcome(deleted=True, had_active_session=had_session, label=row.label)


async def expire_account(directory: AccountDirectory, account_id: int, *, why: str) -> None:
    """Revoke an account whose session outlived its idle or absolute lifetime (the sweeper)."""
    await directory.accounts.revoke(account_id)
    directory.forget_account(account_id)
    await directory.pool.retire(account_id, log_out=True)
    logger.info("account %d: session expired (%s); the owner must reconnect", account_id, why)
