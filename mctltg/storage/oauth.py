"""OAuth persistence: one store over four tables' worth of concepts.

Secrets never reach the database in a usable form: codes, refresh tokens and browser
handles are stored as SHA-256 digests, and access tokens (JWTs) only by their ``jti``.
Each concept has its own module; :class:`OAuthStore` joins them so the authorization
server and the tools hold one object:

- ``oauth_clients`` — registered clients (RFC 7591);
- ``oauth_flows`` — authorizations in flight and authorization codes;
- ``oauth_grants`` — grants (refresh-token families), rotation and revocation;
- ``oauth_access`` — admins' access decisions (the stored side of access tiers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mctltg.clock import SYSTEM_CLOCK, Clock
from mctltg.storage.oauth_access import AccessDecision, AccessStore
from mctltg.storage.oauth_clients import ClientRow, ClientStore
from mctltg.storage.oauth_flows import AuthorizationRow, CodeCheck, FlowStore
from mctltg.storage.oauth_grants import Exchange, GrantRow, GrantStore, IssueTokens, Outcome

if TYPE_CHECKING:
    from mctltg.storage.database import Database

__all__ = [
    "AccessDecision",
    "AuthorizationRow",
    "ClientRow",
    "CodeCheck",
    "Exchange",
    "GrantRow",
    "IssueTokens",
    "OAuthStore",
    "Outcome",
]


class OAuthStore(ClientStore, FlowStore, GrantStore, AccessStore):
    """Reads and writes every OAuth table.

    Args:
        db: the open database.
        clock: wall-clock seconds.
    """

    def __init__(self, db: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._db = db
        self.clock = clock
