"""The peer syntax every tool accepts, parsed without touching Telegram.

Accepted forms: ``user:<id>``, ``chat:<id>``, ``channel:<id>`` (the canonical ids
``list_dialogs`` returns), ``@username`` and ``me`` (Saved Messages). Anything
else is refused with one sentence naming the forms, so a model can correct itself.
"""

from __future__ import annotations

import re
from typing import Final

from mctltg.errors import InvalidInput
from mctltg.telegram.model import PeerKind, PeerRef

__all__ = ["PEER_FORMS", "canonical_peer", "parse_peer"]

PEER_FORMS: Final = "user:<id>, chat:<id>, channel:<id>, @username or me"
_CANONICAL = re.compile(r"(user|chat|channel):([1-9][0-9]{0,18})")
_USERNAME = re.compile(r"@([A-Za-z][A-Za-z0-9_]{3,31})")
_MAX_ID: Final = 2**63 - 1
_KINDS: Final[dict[str, PeerKind]] = {"user": "user", "chat": "chat", "channel": "channel"}


def parse_peer(text: object, *, field: str = "peer") -> PeerRef:
    """Parse a peer argument; raise ``InvalidInput`` with the accepted forms otherwise."""
    if not isinstance(text, str):
        raise InvalidInput(field, f"must be a string in one of the forms {PEER_FORMS}")
    value = text.strip()
    if value.lower() in ("me", "self", "saved"):
        return PeerRef(kind="self")
    if match := _CANONICAL.fullmatch(value):
        number = int(match.group(2))
        if number <= _MAX_ID:
            kind = _KINDS[match.group(1)]
            return PeerRef(kind=kind, id=number)
    if match := _USERNAME.fullmatch(value):
        return PeerRef(kind="username", username=match.group(1).lower())
    shown = value if len(value) <= 40 else value[:40] + "…"
    raise InvalidInput(
        field, f"{shown!r} is not a peer; use one of {PEER_FORMS} exactly as list_dialogs returns it"
    )


def canonical_peer(kind: str, peer_id: int) -> str:
    """The canonical spelling of a resolved peer, e.g. ``channel:1234``."""
    return f"{kind}:{peer_id}"
