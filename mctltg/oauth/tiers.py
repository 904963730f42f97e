"""Access tiers: which scopes a signed-in person may hold at all.

Three tiers, decided at every token issue (authorization code *and* refresh):

- **admin** — Telegram ids in ``TG_LOGIN_ADMINS`` (or, with another OIDC issuer, its
  ``sub`` values in ``OIDC_ADMIN_SUBJECTS``): every scope, ``admin:users`` and
  ``admin:users:read`` included.
- **client** — ids in ``TG_LOGIN_CLIENTS`` (subjects in ``OIDC_CLIENT_SUBJECTS``), everyone
  when ``AUTO_APPROVE_CLIENTS`` is on, or whoever an admin approved with
  ``set_telegram_access``: every Telegram scope and ``account:manage``.
- **none** — everyone else: they can sign in, but their tokens carry no scopes and every
  tool says so in one sentence.

An admin's explicit decision (``set_telegram_access``: a tier or an exact scope list)
overrides the settings' lists, except that an operator listed in ``TG_LOGIN_ADMINS``
stays an admin: that is changed in the settings, not through a tool.

The subject lists hold identity subjects (``<issuer>#<sub>``, built by the composition
root from the settings), so a ``sub`` listed for one issuer admits nobody at another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from mctltg.oauth.scopes import ADMIN_USERS, ADMIN_USERS_READ, SCOPES

__all__ = ["CLIENT_SCOPES", "DEFAULT_SCOPES", "Access", "Tier", "TierPolicy"]

#: Everything but the admin scopes (``admin:users`` and its read-only half).
CLIENT_SCOPES: Final = frozenset(SCOPES) - {ADMIN_USERS, ADMIN_USERS_READ}

#: What the 401 challenge at ``/mcp`` asks a client without a token to request: the default
#: (client) tier's scopes. Never ``admin:users`` (an admin's client gets it through the
#: step-up challenge when it calls an admin tool) and never ``offline_access`` (not a scope
#: of this server; refresh tokens come with every grant). Consent still defaults to read only.
DEFAULT_SCOPES: Final = CLIENT_SCOPES


class Tier(StrEnum):
    ADMIN = "admin"
    CLIENT = "client"
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """What an identity may hold: its tier and the scopes that tier allows."""

    tier: Tier
    scopes: frozenset[str]

    @property
    def message(self) -> str | None:
        """A sentence for the person when the tier holds no Telegram scopes."""
        if self.scopes:
            return None
        return (
            "Your Telegram account is not approved on this server yet; ask its operator to approve you "
            "(set_telegram_access), then sign in again."
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TierPolicy:
    """The settings-side inputs of the tier decision."""

    admins: frozenset[int] = frozenset()
    clients: frozenset[int] = frozenset()
    auto_approve: bool = False
    #: Identity subjects (``<issuer>#<sub>``) of operators at an issuer other than Telegram's.
    admin_subjects: frozenset[str] = frozenset()
    #: Identity subjects approved as clients at an issuer other than Telegram's.
    client_subjects: frozenset[str] = frozenset()

    def listed_admin(self, telegram_user_id: int | None, subject: str | None = None) -> bool:
        """Whether the settings name this person an operator (no admin decision can change that)."""
        return (telegram_user_id is not None and telegram_user_id in self.admins) or (
            subject is not None and subject in self.admin_subjects
        )

    def access(
        self,
        telegram_user_id: int | None,
        *,
        subject: str | None = None,
        granted_tier: str | None = None,
        granted_scopes: frozenset[str] | None = None,
    ) -> Access:
        """The access of a person with ``telegram_user_id`` and the admin's stored decision, if any.

        Args:
            telegram_user_id: proven by sign-in at Telegram's issuer; None for other identities.
            subject: the identity's subject (``tg:<id>``, ``<issuer>#<sub>``); None if unknown.
            granted_tier: ``"client"`` or ``"none"`` from ``set_telegram_access``.
            granted_scopes: an explicit scope list from ``set_telegram_access`` (wins over the tier).
        """
        if self.listed_admin(telegram_user_id, subject):
            return Access(tier=Tier.ADMIN, scopes=frozenset(SCOPES))
        if granted_scopes is not None:
            scopes = frozenset(s for s in granted_scopes if s in SCOPES)
            return Access(tier=Tier.CLIENT if scopes else Tier.NONE, scopes=scopes)
        if granted_tier == Tier.CLIENT:
            return Access(tier=Tier.CLIENT, scopes=CLIENT_SCOPES)
        if granted_tier == Tier.NONE:
            return Access(tier=Tier.NONE, scopes=frozenset())
        if telegram_user_id is not None and (self.auto_approve or telegram_user_id in self.clients):
            return Access(tier=Tier.CLIENT, scopes=CLIENT_SCOPES)
        if subject is not None and (self.auto_approve or subject in self.client_subjects):
            return Access(tier=Tier.CLIENT, scopes=CLIENT_SCOPES)
        return Access(tier=Tier.NONE, scopes=frozenset())
