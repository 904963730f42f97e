"""Which of an account's chats the person shares with assistants: the rule and its decision.

A ``SharingRule`` is the person's choice for one Telegram account: everything (the
default), or only chosen chats and chat folders; either way minus excluded chats. A
``SharedView`` is the rule with its folders expanded into the chats they hold right now
(folders change in Telegram's apps, so the expansion is refreshed, see ``VIEW_TTL``);
``admits(peer)`` is the one decision every Telegram call asks.

Why the decision lives at the Telegram boundary (``TelegramAccount``), not in each tool:
a tool added later cannot forget it. Every public ``TelegramAccount`` method declares with
``@shares(...)`` how it honours the rule (``NAMES_PEERS``: each ``PeerRef`` it takes is
checked before any RPC; ``FILTERS``: what it lists is filtered at the source, counts
included; ``NO_CHAT``: it touches no chat), and ``tests/telegram/test_sharing.py`` fails
for a method without a declaration, and for a ``NAMES_PEERS`` method that reaches
Telegram with an unshared peer.

A refusal never says whether the chat exists: an unknown peer is simply not in the shared
set, so it gets the same sentence (``NotShared``) and the same RPCs (none) as a real chat
that is not shared. Under "every chat but the excluded", an id the session has never seen
is refused the same way (``on_loop/shared.py``), since asking Telegram would tell them apart.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final, TypeVar

from mctltg.errors import InvalidInput

__all__ = [
    "EVERYTHING",
    "VIEW_TTL",
    "SharedView",
    "Sharing",
    "SharingRule",
    "shares",
    "sharing_of",
]

#: Seconds a folder expansion is trusted before it is computed again.
VIEW_TTL: Final = 60.0
#: How many chats and folders one rule may name (a page of checkboxes, not a database).
MAX_CHOICES: Final = 1000

F = TypeVar("F", bound=Callable[..., object])


class Sharing(enum.Enum):
    """How a ``TelegramAccount`` method honours the sharing rule."""

    NAMES_PEERS = "names_peers"  # every PeerRef argument is checked before any RPC
    FILTERS = "filters"  # what it returns is filtered (and counted) at the source
    NO_CHAT = "no_chat"  # reads no chat (the account's own profile)


def shares(*how: Sharing) -> Callable[[F], F]:
    """Declare how a ``TelegramAccount`` method honours the sharing rule (tests enforce one)."""

    def mark(method: F) -> F:
        method.__sharing__ = frozenset(how)  # type: ignore[attr-defined]
        return method

    return mark


def sharing_of(method: object) -> frozenset[Sharing]:
    """The declarations ``@shares`` put on ``method`` (empty when it has none)."""
    how = getattr(method, "__sharing__", None)
    return how if isinstance(how, frozenset) else frozenset()


def _peer_set(values: Iterable[str], what: str) -> frozenset[str]:
    out = set()
    for value in values:
        kind, _, number = str(value).partition(":")
        if kind not in ("user", "chat", "channel") or not number.isdigit() or int(number) < 1:
            problem = f"{value!r} is not a chat id; use ids exactly as list_dialogs returns them"
            raise InvalidInput(what, problem)
        out.add(f"{kind}:{int(number)}")
    return frozenset(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class SharingRule:
    """One account's sharing choice; ``everything`` ignores ``chats`` and ``folders``."""

    everything: bool = True
    chats: frozenset[str] = frozenset()
    folders: frozenset[int] = frozenset()
    excluded: frozenset[str] = frozenset()

    @classmethod
    def only(
        cls, chats: Iterable[str] = (), folders: Iterable[int] = (), excluded: Iterable[str] = ()
    ) -> SharingRule:
        """A rule sharing only ``chats`` and the chats of ``folders``, minus ``excluded``.

        Raises:
            InvalidInput: a chat is not a canonical id, a folder id is not a positive
                number, or the rule names more than ``MAX_CHOICES`` items.
        """
        folder_ids = set()
        for folder in folders:
            if isinstance(folder, bool) or not isinstance(folder, int) or folder < 2:
                problem = f"{folder!r} is not a chat folder id; take ids from list_folders"
                raise InvalidInput("folders", problem)
            folder_ids.add(folder)
        rule = cls(
            everything=False,
            chats=_peer_set(chats, "chats"),
            folders=frozenset(folder_ids),
            excluded=_peer_set(excluded, "excluded"),
        )
        if len(rule.chats) + len(rule.folders) + len(rule.excluded) > MAX_CHOICES:
            raise InvalidInput("chats", f"a rule names at most {MAX_CHOICES} chats and folders")
        return rule

    @classmethod
    def all_but(cls, excluded: Iterable[str]) -> SharingRule:
        """Every chat except ``excluded``."""
        return cls(everything=True, excluded=_peer_set(excluded, "excluded"))

    @property
    def restricted(self) -> bool:
        """False only for the default: every chat shared, none excluded."""
        return not self.everything or bool(self.excluded)

    def within(self, wider: SharingRule) -> bool:
        """True when this rule shares nothing ``wider`` does not (so adopting it only narrows).

        Judged on the rule's words, never on folder contents (which change in Telegram's
        apps): exclusions never shrink, and a rule of chosen chats may only drop chats and
        folders, never name new ones.
        """
        if not wider.excluded <= self.excluded:
            return False
        if wider.everything:
            return True
        return not self.everything and self.chats <= wider.chats and self.folders <= wider.folders

    def describe(self) -> str:
        """One sentence for people and models."""
        if not self.restricted:
            return "Every chat is shared."
        minus = f", except {len(self.excluded)} excluded chat(s)" if self.excluded else ""
        if self.everything:
            return f"Every chat is shared{minus}."
        return f"Only {len(self.chats)} chosen chat(s) and {len(self.folders)} folder(s) are shared{minus}."

    def to_json(self) -> str:
        return json.dumps(
            {
                "everything": self.everything,
                "chats": sorted(self.chats),
                "folders": sorted(self.folders),
                "excluded": sorted(self.excluded),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> SharingRule:
        """The rule ``to_json`` wrote; a row that does not parse shares nothing (fail closed)."""
        try:
            data = json.loads(text)
            if data.get("everything"):
                return cls.all_but(data.get("excluded", ()))
            return cls.only(data.get("chats", ()), data.get("folders", ()), data.get("excluded", ()))
        except (ValueError, TypeError, AttributeError, InvalidInput):
            return cls(everything=False)


#: The default: every chat shared.
EVERYTHING: Final = SharingRule()


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedView:
    """A rule with its folders expanded: the decision ``admits`` every call asks."""

    rule: SharingRule
    folder_chats: frozenset[str] = field(default=frozenset())

    @property
    def restricted(self) -> bool:
        return self.rule.restricted

    def admits(self, peer: str) -> bool:
        """Whether the chat ``peer`` (canonical, e.g. ``user:5``) is shared."""
        if peer in self.rule.excluded:
            return False
        if self.rule.everything:
            return True
        return peer in self.rule.chats or peer in self.folder_chats
