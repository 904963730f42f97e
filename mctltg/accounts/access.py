"""An admin's decision about a person's Telegram access (``set_telegram_access``).

The decision is stored against the person's identity and read at every token issue, so
it takes effect at that identity's next token. The tier rules themselves live in
``oauth/tiers.py``; the composition root hands them in as ``TierRules`` so this layer
does not reach into ``oauth``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mctltg.accounts.directory import AccountDirectory
from mctltg.errors import InvalidInput, PermissionDenied
from mctltg.storage import IdentityRow, OAuthStore

__all__ = ["AccessAdmin", "AccessChange", "GrantedAccess", "TierRules"]


class GrantedAccess(Protocol):
    @property
    def tier(self) -> str: ...

    @property
    def scopes(self) -> frozenset[str]: ...


class TierRules(Protocol):
    """``oauth.tiers.TierPolicy`` as this layer needs it."""

    def listed_admin(self, telegram_user_id: int | None, subject: str | None = None) -> bool: ...

    def access(
        self,
        telegram_user_id: int | None,
        *,
        subject: str | None = None,
        granted_tier: str | None = None,
        granted_scopes: frozenset[str] | None = None,
    ) -> GrantedAccess: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessChange:
    """What an identity may hold from its next token issue."""

    subject: str
    telegram_user_id: int | None
    tier: str
    scopes: frozenset[str]


class AccessAdmin:
    """Stores admins' access decisions and says what they come to."""

    def __init__(self, *, directory: AccountDirectory, store: OAuthStore, rules: TierRules) -> None:
        self._directory = directory
        self._store = store
        self._rules = rules

    async def target(self, telegram_id: int | None, identity: str | None) -> IdentityRow:
        """The identity a decision is about: by Telegram id (created ahead of sign-in) or subject/row id.

        Raises:
            InvalidInput: neither or both were given, or no such identity exists.
        """
        identities = self._directory.identities
        if (telegram_id is None) == (identity is None):
            raise InvalidInput(
                "telegram_id", "give exactly one of telegram_id (a number) or identity (e.g. tg:123456)"
            )
        if telegram_id is not None:
            if isinstance(telegram_id, bool) or not 0 < telegram_id < 2**53:
                raise InvalidInput("telegram_id", "must be a positive Telegram user id")
            row = await identities.ensure(f"tg:{telegram_id}")
            if row.telegram_user_id is None:
                row = await identities.set_telegram_user(row.id, telegram_id)
            return row
        assert identity is not None
        text = identity.strip()
        found = await identities.by_subject(text)
        if found is None and text.isdigit():
            found = await identities.get(int(text))
        if found is None:
            raise InvalidInput(
                "identity",
                f"no identity {text!r} exists; pass telegram_id to approve someone who has not signed in yet",
            )
        return found

    async def set(
        self,
        *,
        set_by: int,
        telegram_id: int | None,
        identity: str | None,
        tier: str | None,
        scopes: frozenset[str] | None,
    ) -> AccessChange:
        """Store the decision; the identity's cached entries are dropped.

        Raises:
            InvalidInput: see ``target``.
            PermissionDenied: the target is an operator listed in ``TG_LOGIN_ADMINS``.
        """
        target = await self.target(telegram_id, identity)
        if self._rules.listed_admin(target.telegram_user_id, target.subject):
            listed = "TG_LOGIN_ADMINS" if target.telegram_user_id is not None else "OIDC_ADMIN_SUBJECTS"
            raise PermissionDenied(
                f"{target.subject} is an operator listed in {listed}; change that setting instead."
            )
        decision = await self._store.set_access(target.id, tier=tier, scopes=scopes, set_by=set_by)
        self._directory.forget_identity(target.id)
        access = self._rules.access(
            target.telegram_user_id,
            subject=target.subject,
            granted_tier=decision.tier,
            granted_scopes=decision.scopes,
        )
        return AccessChange(
            subject=target.subject,
            telegram_user_id=target.telegram_user_id,
            tier=str(access.tier),
            scopes=access.scopes,
        )
