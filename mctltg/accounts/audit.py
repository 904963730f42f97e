"""The audit trail as tools see it: one row per tool call, and a person's own rows.

Tool calls reach ``AuditLog.append`` only from here (the web pages' own actions are
audited by ``web/manage.py``): the tool decorator records every call through
``AuditTrail.record`` (shielded and bounded, so a cancelled call is still
audited and a slow disk cannot hang it), and ``get_my_audit_log`` reads through
``AuditTrail.page``. Rows hold the peer's type and numeric id only, never text.
"""

from __future__ import annotations

import logging
from typing import Final

import trio

from mctltg.errors import MctltgError
from mctltg.storage import AuditEntry, AuditLog

__all__ = ["AuditEntry", "AuditTrail"]

logger = logging.getLogger(__name__)

#: How long one audit write may take before the call gives up on it (and logs that).
AUDIT_SECONDS: Final = 5.0


class AuditTrail:
    """Writes and reads audit rows over the storage's hash-chained ``AuditLog``."""

    def __init__(self, log: AuditLog) -> None:
        self._log = log

    async def record(
        self,
        *,
        identity_id: int | None,
        tool: str,
        outcome: str,
        peer_type: str | None,
        peer_id: int | None,
        account_id: int | None = None,
    ) -> None:
        """Append one row; never raises (a failure is logged, without the row's content).

        ``account_id`` is the Telegram account the call used, when it resolved one.
        """
        with trio.CancelScope(shield=True), trio.move_on_after(AUDIT_SECONDS) as scope:
            try:
                await self._log.append(
                    identity_id=identity_id,
                    tool=tool,
                    outcome=outcome,
                    peer_type=peer_type,
                    peer_id=peer_id,
                    account_id=account_id,
                )
            except MctltgError as exc:
                logger.warning("tool %s: the audit row could not be written: %s", tool, exc)
        if scope.cancelled_caught:
            logger.warning("tool %s: the audit row was not written within %.0f s", tool, AUDIT_SECONDS)

    async def page(self, identity_id: int, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        """The identity's newest rows first, at most ``limit``, older than row ``before``."""
        return await self._log.page(identity_id, limit=limit, before=before)
