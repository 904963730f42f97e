"""Worker tokens: scoped, long-lived access tokens for automation (a canary, a script).

A worker token is an ordinary RFC 9068 access token of this issuer (same key, issuer and
audience, so /mcp verifies it the usual way) with two differences: it carries a
``purpose`` claim, and it lives in ``worker_tokens`` instead of a grant, so it has no
refresh token, no client, and is listed and revoked by jti or by identity
(``revoke_worker_token``, ``mctltg token revoke``).

What keeps it narrow:

- at mint, its scopes must lie inside the identity's tier *now* (``TierPolicy`` with the
  admin's stored decision) and its lifetime inside ``WORKER_TOKEN_MAX_TTL``;
- at every use, its scopes are narrowed again by the identity's tier at that moment, so
  refusing someone (``set_telegram_access``) also quiets their worker tokens;
- each mint leaves an audit row on the identity's chain (``worker_token:mint``), and its
  use leaves ``worker_token:use`` at most once per ``AUDIT_USE_EVERY`` per token. Every tool
  call it makes is audited by the tool decorator anyway; the use row ties those calls to
  this token without doubling the audit log of a canary that probes every minute.
  Both rows name the token by its row id (``peer_type`` ``worker_token``), never the token.
"""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mctltg.errors import InvalidInput, MctltgError, PermissionDenied
from mctltg.oauth.rfc9068 import AccessClaims, AccessTokenCodec
from mctltg.oauth.scopes import SCOPES, format_scope
from mctltg.oauth.tiers import TierPolicy
from mctltg.storage.worker_tokens import WorkerTokenRow, WorkerTokenStore

if TYPE_CHECKING:
    from mctltg.storage import AuditLog, Identities, IdentityRow, OAuthStore

__all__ = ["AUDIT_USE_EVERY", "WORKER_CLIENT_ID", "MintedToken", "WorkerTokens", "parse_ttl"]

logger = logging.getLogger(__name__)

#: The ``client_id`` claim of every worker token (no registered client has it: those are UUIDs or URLs).
WORKER_CLIENT_ID: Final = "mctltg-worker"
#: Seconds between two ``worker_token:use`` audit rows for one token.
AUDIT_USE_EVERY: Final = 600.0
_PURPOSE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:/@-]{0,63}")
_TTL: Final = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd]?)\s*")
_UNITS: Final = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True, slots=True, kw_only=True)
class MintedToken:
    """A freshly minted worker token: the only moment the token itself exists outside the client."""

    token: str
    row: WorkerTokenRow

    def __repr__(self) -> str:  # the token never reaches a log line through a repr
        return f"<MintedToken id={self.row.id} purpose={self.row.purpose!r}>"


def parse_ttl(text: str | float) -> float:
    """Seconds from ``3600``, ``90m``, ``12h`` or ``30d``.

    Raises:
        InvalidInput: anything else, or not positive.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        found = _TTL.fullmatch(str(text))
        if found is None:
            raise InvalidInput("ttl", "give a lifetime such as 3600, 90m, 12h or 30d")
        seconds = float(found.group(1)) * _UNITS[found.group(2)]
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInput("ttl", "the lifetime must be more than 0 seconds")
    return seconds


class WorkerTokens:
    """Mints, verifies, lists and revokes worker tokens.

    Args:
        store: the ``worker_tokens`` table.
        identities: who tokens are for.
        decisions: admins' stored access decisions (the tier's stored half).
        codec: this issuer's access-token codec.
        policy: the settings' half of the tier decision.
        resource: the ``aud`` of every token (the /mcp URL).
        max_ttl: ``WORKER_TOKEN_MAX_TTL`` in seconds.
        audit: where mints and uses are recorded; None records nothing (unit tests).
    """

    def __init__(
        self,
        *,
        store: WorkerTokenStore,
        identities: Identities,
        decisions: OAuthStore,
        codec: AccessTokenCodec,
        policy: TierPolicy,
        issuer: str,
        resource: str,
        max_ttl: float,
        audit: AuditLog | None,
    ) -> None:
        self._store = store
        self._identities = identities
        self._decisions = decisions
        self._codec = codec
        self._policy = policy
        self._issuer = issuer
        self._resource = resource
        self.max_ttl = max_ttl
        self._audit = audit

    def __repr__(self) -> str:
        return f"<WorkerTokens issuer={self._issuer!r}>"

    async def tier_scopes(self, identity_id: int, telegram_user_id: int | None) -> frozenset[str]:
        """The scopes the identity's tier allows right now."""
        decision = await self._decisions.access(identity_id)
        return self._policy.access(
            telegram_user_id,
            granted_tier=decision.tier if decision else None,
            granted_scopes=decision.scopes if decision else None,
        ).scopes

    async def identity(self, text: str) -> IdentityRow:
        """The identity named by subject (``tg:123``, ``operator``) or row id.

        Raises:
            InvalidInput: no such identity.
        """
        text = text.strip()
        found = await self._identities.by_subject(text)
        if found is None and text.isdigit() and len(text) < 19:
            found = await self._identities.get(int(text))
        if found is None:
            raise InvalidInput("identity", f"no identity {text[:80]!r} exists on this server")
        return found

    async def mint(
        self,
        identity: IdentityRow,
        *,
        scopes: Iterable[str],
        ttl: float | str,
        purpose: str,
        created_by: int | None,
    ) -> MintedToken:
        """Mint a token for ``identity``; nothing is stored unless every check passes.

        Raises:
            InvalidInput: unknown or no scopes, a lifetime over the maximum, a bad purpose.
            PermissionDenied: a scope beyond the identity's tier.
        """
        ttl = parse_ttl(ttl)
        wanted = frozenset(scopes)
        unknown = sorted(wanted - set(SCOPES))
        if unknown:
            raise InvalidInput(
                "scopes", f"unknown scope {unknown[0][:60]!r}; known scopes: {', '.join(SCOPES)}"
            )
        if not wanted:
            raise InvalidInput("scopes", "name at least one scope, e.g. telegram:dialogs:read")
        if not ttl <= self.max_ttl:
            raise InvalidInput(
                "ttl",
                f"{_duration(ttl)} is longer than WORKER_TOKEN_MAX_TTL ({_duration(self.max_ttl)}); "
                "ask for less or raise the setting",
            )
        purpose = purpose.strip()
        if not _PURPOSE.fullmatch(purpose):
            raise InvalidInput(
                "purpose", "give a short purpose (1-64 letters, digits, spaces or ._:/@-), e.g. canary"
            )
        allowed = await self.tier_scopes(identity.id, identity.telegram_user_id)
        beyond = sorted(wanted - allowed)
        if beyond:
            raise PermissionDenied(
                f"{identity.subject}'s tier does not include {', '.join(beyond)}, so a worker token "
                "for it cannot either; ask for fewer scopes or change their access first."
            )
        ordered = tuple(format_scope(wanted).split())
        jti = str(uuid.uuid4())
        now = self._store.clock()
        expires_at = now + ttl
        row = await self._store.add(
            jti=jti,
            identity_id=identity.id,
            scopes=ordered,
            purpose=purpose,
            created_by=created_by,
            expires_at=expires_at,
        )
        token = self._codec.mint(
            AccessClaims(
                issuer=self._issuer,
                subject=identity.subject,
                audience=self._resource,
                client_id=WORKER_CLIENT_ID,
                scopes=ordered,
                issued_at=math.floor(now),
                expires_at=math.floor(expires_at),
                jti=jti,
                purpose=purpose,
            )
        )
        await self._record(identity.id, "worker_token:mint", row.id)
        logger.info(
            "worker token minted",
            extra={"worker_token": row.id, "identity": identity.id, "purpose": purpose, "by": created_by},
        )
        return MintedToken(token=token, row=row)

    async def verify(self, claims: AccessClaims) -> AccessClaims | None:
        """The claims of a live worker token, scopes narrowed to the identity's tier now; else None."""
        use = await self._store.use(claims.jti, audit_every=AUDIT_USE_EVERY)
        if use is None or use.row.subject != claims.subject:
            return None
        allowed = await self.tier_scopes(use.row.identity_id, use.row.telegram_user_id)
        scopes = tuple(s for s in claims.scopes if s in allowed and s in use.row.scopes)
        if use.audit:
            await self._record(use.row.identity_id, "worker_token:use", use.row.id)
        return AccessClaims(
            issuer=claims.issuer,
            subject=claims.subject,
            audience=claims.audience,
            client_id=claims.client_id,
            scopes=scopes,
            issued_at=claims.issued_at,
            expires_at=claims.expires_at,
            jti=claims.jti,
            purpose=claims.purpose,
        )

    async def get(self, jti: str) -> WorkerTokenRow | None:
        """The token with this jti (live or not), or None."""
        return await self._store.get(jti.strip())

    async def listing(self, identity_id: int | None = None) -> list[WorkerTokenRow]:
        return await self._store.listing(identity_id)

    async def revoke(self, *, jti: str | None = None, identity_id: int | None = None) -> list[WorkerTokenRow]:
        """Revoke one token or every live one of an identity; each revocation is audited."""
        revoked = await self._store.revoke(jti=jti, identity_id=identity_id)
        for row in revoked:
            await self._record(row.identity_id, "worker_token:revoke", row.id)
        return revoked

    def now(self) -> float:
        return self._store.clock()

    async def _record(self, identity_id: int, tool: str, row_id: int) -> None:
        if self._audit is None:
            return
        try:
            await self._audit.append(
                identity_id=identity_id, tool=tool, outcome="ok", peer_type="worker_token", peer_id=row_id
            )
        except MctltgError as exc:
            logger.warning("%s: the audit row could not be written: %s", tool, exc)


def _duration(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:g}d"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    return f"{seconds:g}s"
