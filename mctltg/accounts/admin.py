"""The operator's admin tools over other people's identities, accounts and worker tokens.

``UserAdmin`` is what the ``admin:users`` tools (``tools/admin.py``) call. Reading
(the roster, anyone's audit log) needs ``admin:users:read``; changing (anyone's send
switch, ending anyone's Telegram session, worker tokens) needs ``admin:users``.

Rules every change keeps:

- the target is named by subject (``tg:123``) or identity row id, and an account by its
  id *among that identity's accounts*: an unknown identity, or an account that is not
  theirs, is one sentence and nothing changes;
- an operator listed in ``TG_LOGIN_ADMINS`` is refused as a target (unless it is the
  caller themself): operators are changed in the settings, not by another admin;
- each change leaves an audit row on the *target's* chain too (``admin:send_on``,
  ``admin:send_off``, ``admin:revoke_session``), so the person sees it in their own log
  and on their manage page; the tool decorator records the admin's own call.

Ending a session follows ``accounts/manage.py``'s order: the stored session is erased
first (so nothing can load it again), then the live connection asks Telegram to end it
(``TelegramAccount.log_out``), then the task is retired. The row stays ``revoked``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from mctltg.accounts.access import TierRules
from mctltg.accounts.audit import AuditTrail
from mctltg.accounts.directory import AccountDirectory
from mctltg.errors import InvalidInput, MctltgError, PermissionDenied
from mctltg.storage import AuditEntry, IdentityRow
from mctltg.storage.roster import Roster, RosterAccount, RosterIdentity
from mctltg.storage.worker_tokens import WorkerTokenRow
from mctltg.telegram import EVERYTHING

__all__ = ["Minted", "RosterPage", "SessionEnded", "UserAdmin", "WorkerIssuer"]

logger = logging.getLogger(__name__)


class Minted(Protocol):
    @property
    def token(self) -> str: ...

    @property
    def row(self) -> WorkerTokenRow: ...


class WorkerIssuer(Protocol):
    """``oauth.worker_tokens.WorkerTokens`` as this layer and the tools need it."""

    @property
    def max_ttl(self) -> float: ...

    async def identity(self, text: str) -> IdentityRow: ...

    async def mint(
        self,
        identity: IdentityRow,
        *,
        scopes: Iterable[str],
        ttl: float | str,
        purpose: str,
        created_by: int | None,
    ) -> Minted: ...

    async def get(self, jti: str) -> WorkerTokenRow | None: ...

    async def listing(self, identity_id: int | None = None) -> list[WorkerTokenRow]: ...

    async def revoke(
        self, *, jti: str | None = None, identity_id: int | None = None
    ) -> list[WorkerTokenRow]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterEntry:
    identity: RosterIdentity
    tier: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterPage:
    entries: tuple[RosterEntry, ...]
    #: Pass back as ``cursor`` for the next page; None on the last page.
    next_cursor: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnded:
    account_id: int
    #: Telegram confirmed ``auth.logOut`` (False: it could not be reached; the session is erased here anyway).
    logged_out_at_telegram: bool


class UserAdmin:
    """Reads and changes other identities for an admin (see the module docstring)."""

    def __init__(
        self,
        *,
        directory: AccountDirectory,
        roster: Roster,
        audit: AuditTrail,
        rules: TierRules,
        workers: WorkerIssuer | None = None,
    ) -> None:
        self._directory = directory
        self._roster = roster
        self._audit = audit
        self._rules = rules
        self.workers = workers

    # -- reading ----------------------------------------------------------------------
    async def roster(self, *, query: str | None, cursor: str | None, limit: int) -> RosterPage:
        """A page of identities in id order.

        Raises:
            InvalidInput: ``cursor`` is not one this tool returned.
        """
        after = None
        if cursor is not None:
            text = cursor.strip()
            if not text.isdigit() or len(text) > 18:
                raise InvalidInput("cursor", "must be the next_cursor value of a previous page")
            after = int(text)
        found = await self._roster.page(query=(query or "").strip() or None, after=after, limit=limit + 1)
        entries = tuple(RosterEntry(identity=i, tier=self.tier(i)) for i in found[:limit])
        more = len(found) > limit
        return RosterPage(entries=entries, next_cursor=str(entries[-1].identity.id) if more else None)

    def tier(self, identity: RosterIdentity) -> str:
        access = self._rules.access(
            identity.telegram_user_id,
            granted_tier=identity.granted_tier,
            granted_scopes=identity.granted_scopes,
        )
        return str(access.tier)

    async def audit_log(
        self, identity: str, *, limit: int, before: int | None
    ) -> tuple[str, list[AuditEntry]]:
        """The identity's subject and its newest audit rows (never message text: rows hold none)."""
        target = await self.target(identity)
        return target.subject, await self._audit.page(target.id, limit=limit, before=before)

    # -- changing ---------------------------------------------------------------------
    async def set_account_send(
        self, *, actor: int, identity: str, account: int, enabled: bool
    ) -> RosterAccount:
        """Turn real sends of someone's connected account on or off (the owner's own switch).

        Raises:
            InvalidInput: unknown identity, an account not theirs, or one not connected.
            PermissionDenied: the target is an operator listed in ``TG_LOGIN_ADMINS``.
        """
        target = await self.target(identity)
        self.protect(actor, target)
        row = await self._account(target, account)
        if row.status != "active":
            raise InvalidInput(
                "account", f"account {row.id} of {target.subject} is {row.status}, so it has no send switch"
            )
        await self._directory.accounts.set_send_enabled(row.id, enabled)
        self._directory.forget_identity(target.id)  # its cached account carried the old switch
        await self._record(target.id, "admin:send_on" if enabled else "admin:send_off", row.id)
        logger.info("account %d: sends turned %s by admin %d", row.id, "on" if enabled else "off", actor)
        return row

    async def revoke_session(self, *, actor: int, identity: str, account: int) -> SessionEnded:
        """End someone's Telegram session: erased here, logged out at Telegram, task stopped.

        Raises:
            InvalidInput: unknown identity, an account not theirs, or one not connected.
            PermissionDenied: the target is an operator listed in ``TG_LOGIN_ADMINS``.
        """
        target = await self.target(identity)
        self.protect(actor, target)
        row = await self._account(target, account)
        if row.status != "active":
            raise InvalidInput(
                "account", f"account {row.id} of {target.subject} is {row.status}; there is no session to end"
            )
        pool = self._directory.pool
        telegram = None
        if not row.broken:
            try:
                await pool.start(row.id)  # a no-op when its task runs; resumes it otherwise
                telegram = pool.account(row.id, sharing=EVERYTHING)  # logging out names no chat
            except MctltgError as exc:
                logger.info("account %d: no live connection to log out (%s)", row.id, type(exc).__name__)
        await self._directory.accounts.revoke(row.id)  # first: the session can never be loaded again
        self._directory.forget_account(row.id)
        self._directory.forget_identity(target.id)
        logged_out = False
        if telegram is not None:
            try:
                logged_out = await telegram.log_out()
            except MctltgError as exc:
                logger.warning(
                    "account %d: auth.logOut failed (%s); erased here anyway", row.id, type(exc).__name__
                )
        await pool.retire(row.id, log_out=False)
        await self._record(target.id, "admin:revoke_session", row.id)
        logger.info("account %d: session ended by admin %d", row.id, actor)
        return SessionEnded(account_id=row.id, logged_out_at_telegram=logged_out)

    async def target(self, identity: str) -> IdentityRow:
        """The identity named by subject or row id.

        Raises:
            InvalidInput: no such identity.
        """
        identities = self._directory.identities
        text = identity.strip() if isinstance(identity, str) else ""
        found = await identities.by_subject(text) if text else None
        if found is None and text.isdigit() and len(text) < 19:
            found = await identities.get(int(text))
        if found is None:
            raise InvalidInput(
                "identity", f"no identity {text[:80]!r} exists; list_identities shows who does"
            )
        return found

    def protect(self, actor: int | None, target: IdentityRow) -> None:
        if actor is None or actor == target.id:
            return
        if self._rules.listed_admin(target.telegram_user_id, target.subject):
            setting = "TG_LOGIN_ADMINS" if target.telegram_user_id is not None else "OIDC_ADMIN_SUBJECTS"
            raise PermissionDenied(
                f"{target.subject} is an operator listed in {setting}; an admin cannot act on an "
                "operator through a tool (the operator changes that in the settings)."
            )

    async def _account(self, target: IdentityRow, account: int) -> RosterAccount:
        found = await self._roster.identity(target.id)
        mine = {a.id: a for a in (found.accounts if found else ())}
        row = mine.get(account) if isinstance(account, int) and not isinstance(account, bool) else None
        if row is None:
            raise InvalidInput(
                "account",
                f"{target.subject} has no account {account!r}; list_identities shows their accounts",
            )
        return row

    async def _record(self, identity_id: int, tool: str, account_id: int | None) -> None:
        await self._audit.record(
            identity_id=identity_id,
            tool=tool,
            outcome="ok",
            peer_type=None if account_id is None else "account",
            peer_id=account_id,
        )
