"""The admin side of the composition root: worker tokens and the admin tools' service.

Worker tokens exist only on a server that is its own issuer (``AUTH_MODE=local-jwt``, an
``OAUTH_JWT_SIGNING_KEY``): they are that issuer's access tokens. The same builder serves
the server (verification at /mcp, the admin tools) and ``mctltg token`` (minting from the
command line), so both mint with one issuer, one audience and one tier policy.
"""

from __future__ import annotations

from mctltg.accounts import AccountDirectory, AuditTrail
from mctltg.accounts.admin import UserAdmin
from mctltg.config import Settings
from mctltg.oauth import AccessTokenCodec, TierPolicy
from mctltg.oauth.worker_tokens import WorkerTokens
from mctltg.storage import AuditLog, Database, Identities, OAuthStore
from mctltg.storage.roster import Roster
from mctltg.storage.worker_tokens import WorkerTokenStore

__all__ = ["tier_policy", "user_admin", "worker_tokens"]


def tier_policy(settings: Settings) -> TierPolicy:
    """The settings' half of every tier decision."""
    return TierPolicy(
        admins=settings.login_admins,
        clients=settings.login_clients,
        auto_approve=settings.auto_approve_clients,
    )


def worker_tokens(
    settings: Settings,
    *,
    database: Database,
    identities: Identities,
    oauth: OAuthStore,
    audit: AuditLog | None,
) -> WorkerTokens | None:
    """Worker tokens over ``database``; None on a server that issues no tokens (operator mode)."""
    if settings.operator_mode or settings.jwt_signing_key is None:
        return None
    return WorkerTokens(
        store=WorkerTokenStore(database, clock=oauth.clock),
        identities=identities,
        decisions=oauth,
        codec=AccessTokenCodec(settings.jwt_signing_key.value, issuer=settings.public_base_url),
        policy=tier_policy(settings),
        issuer=settings.public_base_url,
        resource=settings.mcp_url,
        max_ttl=settings.worker_token_max_ttl,
        audit=audit,
    )


def user_admin(
    settings: Settings,
    *,
    directory: AccountDirectory,
    database: Database,
    audit: AuditTrail,
    workers: WorkerTokens | None,
) -> UserAdmin:
    """The admin tools' service."""
    return UserAdmin(
        directory=directory,
        roster=Roster(database),
        audit=audit,
        rules=tier_policy(settings),
        workers=workers,
    )
