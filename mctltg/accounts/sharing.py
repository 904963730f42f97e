"""Who may change an account's sharing rule, and how far: the person widens, an assistant narrows.

The rule itself (and the decision it makes) is ``telegram/sharing.py``; storage keeps its
text. This module caches each account's rule so the hot path reads nothing from SQLite,
and enforces the one policy about changing it: an assistant (the ``set_shared_chats``
tool) may only narrow what it sees, since an assistant that could widen its own view
would defeat the rule; widening takes the person on the manage page (signed in, CSRF).
"""

from __future__ import annotations

from mctltg.errors import PermissionDenied
from mctltg.storage import SharingRules
from mctltg.telegram import EVERYTHING, SharingRule

__all__ = ["SharedChats"]

WIDEN_REFUSED = (
    "An assistant can only narrow the chats it sees (drop chats or folders, exclude more); "
    "to share more, the person changes the rule on the manage page."
)


class SharedChats:
    """Each account's sharing rule, cached; changes go through ``change``."""

    def __init__(self, rules: SharingRules) -> None:
        self._rules = rules
        self._cache: dict[int, SharingRule] = {}

    async def rule_of(self, account_id: int) -> SharingRule:
        """The account's rule (the default when it never set one); cached after the first read."""
        cached = self._cache.get(account_id)
        if cached is None:
            text = await self._rules.get(account_id)
            cached = EVERYTHING if text is None else SharingRule.from_json(text)
            self._cache[account_id] = cached
        return cached

    async def change(self, account_id: int, rule: SharingRule, *, may_widen: bool) -> SharingRule:
        """Store ``rule`` for the account; without ``may_widen`` it must lie within the current one.

        Raises:
            PermissionDenied: ``rule`` would share something the current rule does not.
        """
        current = await self.rule_of(account_id)
        if not may_widen and not rule.within(current):
            raise PermissionDenied(WIDEN_REFUSED)
        await self._rules.put(account_id, None if not rule.restricted else rule.to_json())
        self._cache[account_id] = rule
        return rule

    def forget(self, account_id: int) -> None:
        """Drop the cached rule (the account was deleted)."""
        self._cache.pop(account_id, None)
