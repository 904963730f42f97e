"""Access tiers: what settings grant, then what an admin decided, per person."""

from __future__ import annotations

from mctltg.oauth.scopes import SCOPES
from mctltg.oauth.tiers import CLIENT_SCOPES, Tier, TierPolicy


def test_tiers_follow_settings_then_admin_decisions() -> None:
    policy = TierPolicy(admins=frozenset({1}), clients=frozenset({2}))
    assert policy.access(1).scopes == frozenset(SCOPES)
    assert policy.access(1, granted_tier="none").tier is Tier.ADMIN
    assert policy.access(2).scopes == CLIENT_SCOPES
    assert policy.access(2, granted_tier="none").scopes == frozenset()
    assert policy.access(3).tier is Tier.NONE
    assert policy.access(3).message is not None
    assert policy.access(3, granted_tier="client").scopes == CLIENT_SCOPES
    assert policy.access(3, granted_scopes=frozenset({"telegram:dialogs:read"})).scopes == {
        "telegram:dialogs:read"
    }
    assert TierPolicy(auto_approve=True).access(9).tier is Tier.CLIENT


def test_another_issuers_lists_name_subjects_and_never_telegram_ids() -> None:
    policy = TierPolicy(
        admin_subjects=frozenset({"https://idp.example#root"}),
        client_subjects=frozenset({"https://idp.example#johndoe"}),
    )
    assert policy.access(None, subject="https://idp.example#root").tier is Tier.ADMIN
    assert policy.listed_admin(None, "https://idp.example#root")
    assert policy.access(None, subject="https://idp.example#johndoe").scopes == CLIENT_SCOPES
    assert policy.access(None, subject="https://other.example#johndoe").tier is Tier.NONE
    assert policy.access(None, subject="https://idp.example#johndoe", granted_tier="none").tier is Tier.NONE
    assert TierPolicy(auto_approve=True).access(None, subject="https://idp.example#x").tier is Tier.CLIENT
