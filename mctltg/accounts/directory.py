"""Who is calling, and which Telegram account serves them.

Tools ask the directory for the caller's identity and for that identity's account
(``account_for``), and get a ``TelegramAccount`` with one typed method per use case.
Account state lives in the database (status) and in the pool (connection); the
directory reconciles the two so a revoked account is refused the same way whichever
side noticed first.

An identity may hold several accounts; a call names one by label or id (``account``),
or gets the identity's default. A label or id that is not the caller's is refused with
the same sentence whether it exists or not (``UnknownAccount``).

The hot path reads nothing from SQLite: identities (by subject), active accounts (by
id) and which account each (identity, label-or-id-or-default) names are cached here.
A cached account is trusted only while the pool runs its task: disconnect, delete,
expiry and a dead session all end that task, so the next call reads the database again;
disconnect and delete also drop the entry at once (``forget_account``), and a tier
change or a new default drops the identity's entries (``forget_identity``). Absences
are never cached: an account connected by another process (``mctltg login``) is seen
at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import trio

from mctltg.accounts.pool import AccountPool, AccountState
from mctltg.accounts.sharing import SharedChats
from mctltg.errors import AccountBroken, AccountRevoked, NoAccount, StorageError, UnknownAccount
from mctltg.storage import AccountRow, Accounts, Identities, IdentityRow
from mctltg.telegram import EVERYTHING, SharingRule, TelegramAccount

__all__ = ["OPERATOR_SUBJECT", "AccountDirectory", "Identity"]

logger = logging.getLogger(__name__)

#: Seconds between two ``last_used_at`` writes for one account (idle expiry is counted in days).
TOUCH_EVERY: Final = 60.0
#: The largest row id SQLite stores; a longer number names no account.
MAX_ACCOUNT_ID: Final = 2**63 - 1
#: The fixed subject of the operator identity (``AUTH_MODE=local-dev``, loopback only).
OPERATOR_SUBJECT: Final = "operator"


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """A signed-in person as tools see them."""

    id: int
    subject: str
    telegram_user_id: int | None


def _identity(row: IdentityRow) -> Identity:
    return Identity(id=row.id, subject=row.subject, telegram_user_id=row.telegram_user_id)


class AccountDirectory:
    """Maps identities to accounts and hands out ``TelegramAccount``s."""

    def __init__(
        self, *, identities: Identities, accounts: Accounts, pool: AccountPool, sharing: SharedChats
    ) -> None:
        self.identities = identities
        self.accounts = accounts
        self.pool = pool
        self.sharing = sharing
        self._touched: dict[int, float] = {}
        self._by_subject: dict[str, Identity] = {}
        #: Active accounts by id, and which account each (identity, label/id/None) names.
        self._active: dict[int, AccountRow] = {}
        self._chosen: dict[tuple[int, str | None], int] = {}

    # -- identities -------------------------------------------------------------------
    async def identity(self, subject: str, *, display_name: str = "") -> IdentityRow:
        """The identity for a signed-in subject, created on first sight."""
        return await self.identities.ensure(subject, display_name=display_name)

    async def operator(self) -> Identity:
        """The operator identity (created on first use); cached."""
        cached = self._by_subject.get(OPERATOR_SUBJECT)
        if cached is None:
            cached = _identity(await self.identities.ensure(OPERATOR_SUBJECT, display_name="Operator"))
            self._by_subject[OPERATOR_SUBJECT] = cached
        return cached

    async def signed_in(self, subject: str) -> Identity | None:
        """The identity a verified token names, or None if it does not exist; cached."""
        cached = self._by_subject.get(subject)
        if cached is None:
            row = await self.identities.by_subject(subject)
            if row is None:
                return None
            cached = self._by_subject[subject] = _identity(row)
        return cached

    def forget_identity(self, identity_id: int) -> None:
        """Drop what is cached for an identity (its access changed, or its tokens were revoked)."""
        for subject in [s for s, i in self._by_subject.items() if i.id == identity_id]:
            del self._by_subject[subject]
        for chosen in [c for c in self._chosen if c[0] == identity_id]:
            self._active.pop(self._chosen.pop(chosen), None)

    def forget_account(self, account_id: int) -> None:
        """Drop a cached account (disconnected, deleted, expired, or its session died)."""
        self.sharing.forget(account_id)  # its rule is read again on the next call
        self._active.pop(account_id, None)
        for chosen in [c for c, a in self._chosen.items() if a == account_id]:
            del self._chosen[chosen]

    # -- accounts ---------------------------------------------------------------------
    async def find(self, identity_id: int, account: str | int | None = None) -> AccountRow | None:
        """The identity's account named by label or id (any status), or its default; uncached.

        Returns None only when ``account`` is omitted and the identity has no account.

        Raises:
            UnknownAccount: ``account`` names no account of this identity (one sentence,
                the same whether it does not exist or is someone else's).
        """
        if account is None:
            return await self.accounts.for_identity(identity_id)
        given = str(account).strip()
        if given.isdigit():
            if int(given) > MAX_ACCOUNT_ID:
                raise UnknownAccount(given[:40])
            row = await self.accounts.get(int(given))
        else:
            row = await self.accounts.by_label(identity_id, given)
        if row is None or row.identity_id != identity_id:
            raise UnknownAccount(given)
        return row

    async def list_accounts(self, identity_id: int) -> list[AccountRow]:
        """Every account of the identity, the default first."""
        return await self.accounts.list_for_identity(identity_id)

    async def set_default(self, identity_id: int, account: str | int) -> AccountRow:
        """Make one of the identity's accounts its default; returns it.

        Raises:
            UnknownAccount: ``account`` names no account of this identity.
            NoAccount: that account is not connected (pending or disconnected).
        """
        row = await self.find(identity_id, account)
        if row is None or row.status != "active":
            raise NoAccount()
        await self.accounts.set_default(identity_id, row.id)
        self._chosen.pop((identity_id, None), None)
        return row

    async def account_of(self, identity_id: int, account: str | int | None = None) -> AccountRow:
        """The identity's active account named by label or id, or its default (cached once active).

        Raises:
            UnknownAccount: ``account`` names no account of this identity.
            NoAccount: the identity never connected Telegram (or deleted it), or the named
                account is still being connected.
            AccountRevoked: it was disconnected, or Telegram ended the session.
            AccountBroken: its stored session does not open (until it is reconnected).
        """
        chosen = (identity_id, None if account is None else str(account).strip().lower())
        cached = self._chosen.get(chosen)
        row = None if cached is None else self._active.get(cached)
        if row is not None and self.pool.state(row.id) in (None, AccountState.REVOKED):
            row = None  # its task ended or is ending: only the database can say what happened
        if row is None:
            if cached is not None:
                self.forget_account(cached)
            row = await self.find(identity_id, account)
            if row is None or row.status == "pending":
                raise NoAccount()
            if row.broken:
                raise AccountBroken()
            if row.status == "revoked" or self.pool.state(row.id) is AccountState.REVOKED:
                raise AccountRevoked()
            if self.pool.state(row.id) is None:
                await self.pool.start(row.id)  # resumed lazily, e.g. after a pool restart
            self._active[row.id] = row
            self._chosen[chosen] = row.id
        return row

    async def account_for(self, identity_id: int, account: str | int | None = None) -> TelegramAccount:
        """The identity's Telegram account, ready to call; use is recorded for idle expiry.

        ``account`` is a label or an id of one of the identity's accounts; without it,
        the identity's default account.

        Raises:
            UnknownAccount, NoAccount, AccountRevoked: as ``account_of``.
        """
        return await self.use(await self.account_of(identity_id, account))

    async def use(self, row: AccountRow) -> TelegramAccount:
        """The Telegram use cases of an account ``account_of`` returned; use is recorded for idle expiry."""
        await self._note_use(row.id)
        return self.pool.account(row.id, sharing=await self.sharing.rule_of(row.id))

    async def person_s_own_view(self, identity_id: int, account: str | int | None = None) -> TelegramAccount:
        """The account with every chat visible, for the person choosing what to share (manage page).

        Never for tools: it ignores the sharing rule, which is the point of choosing with it.
        """
        row = await self.account_of(identity_id, account)
        return self.pool.account(row.id, sharing=EVERYTHING)

    async def sharing_of(self, identity_id: int, account: str | int | None = None) -> SharingRule:
        """The sharing rule of one of the identity's accounts (the default when omitted)."""
        return await self.sharing.rule_of((await self.account_of(identity_id, account)).id)

    async def set_sharing(
        self, identity_id: int, rule: SharingRule, *, may_widen: bool, account: str | int | None = None
    ) -> SharingRule:
        """Set the sharing rule of one of the identity's accounts (``accounts/sharing.py``: who may widen).

        Raises:
            UnknownAccount, NoAccount, AccountRevoked: as ``account_of``.
            PermissionDenied: an assistant tried to widen the rule.
        """
        row = await self.account_of(identity_id, account)
        changed = await self.sharing.change(row.id, rule, may_widen=may_widen)
        self.pool.forget_view(row.id)
        return changed

    async def set_send_consent(
        self, identity_id: int, enabled: bool, account: str | int | None = None
    ) -> AccountRow:
        """The owner's own switch for real sends, on one account (the default when omitted).

        Raises:
            UnknownAccount: ``account`` names no account of this identity.
            NoAccount: that account is not connected.
        """
        row = await self.find(identity_id, account)
        if row is None or row.status != "active":
            raise NoAccount()
        await self.accounts.set_send_enabled(row.id, enabled)
        self.forget_account(row.id)
        return row

    async def _note_use(self, account_id: int) -> None:
        """Record use for idle expiry, at most once a minute per account (a write per call is waste)."""
        now = trio.current_time()
        if now - self._touched.get(account_id, -TOUCH_EVERY) < TOUCH_EVERY:
            return
        self._touched[account_id] = now
        try:
            await self.accounts.touch(account_id)
        except StorageError:
            # Idle-expiry bookkeeping must never fail the call it rides on; retry next minute.
            self._touched.pop(account_id, None)
            logger.warning("account %d: could not record use; idle expiry may lag", account_id)
