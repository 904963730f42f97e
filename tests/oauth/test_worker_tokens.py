"""Worker tokens: this issuer's JWTs with a purpose, narrowed by the tier at every use, audited sparingly."""

from __future__ import annotations

import jwt
import pytest

from mctltg.errors import InvalidInput, PermissionDenied
from mctltg.oauth.worker_tokens import AUDIT_USE_EVERY, WORKER_CLIENT_ID, WorkerTokens, parse_ttl
from tests.harness.oauth import ADMIN_ID, BASE, CLIENT_ID, Harness


def workers_of(harness: Harness) -> WorkerTokens:
    workers = harness.parts.server.workers
    assert workers is not None
    return workers


async def test_a_worker_token_is_an_access_token_of_this_issuer_with_a_purpose(harness: Harness) -> None:
    workers = workers_of(harness)
    person = await harness.services.identities.ensure(f"tg:{CLIENT_ID}")
    person = await harness.services.identities.set_telegram_user(person.id, CLIENT_ID)
    minted = await workers.mint(
        person,
        scopes=["telegram:messages:read", "telegram:dialogs:read"],
        ttl="2h",
        purpose="canary",
        created_by=None,
    )
    claims = jwt.decode(minted.token, options={"verify_signature": False})
    verified = await harness.parts.server.verify_access(minted.token)
    assert claims["iss"] == BASE
    assert claims["aud"] == BASE + "/mcp"
    assert claims["sub"] == f"tg:{CLIENT_ID}"
    assert claims["purpose"] == "canary"
    assert claims["client_id"] == WORKER_CLIENT_ID
    assert claims["exp"] - claims["iat"] == 7200
    assert verified is not None
    assert verified.scopes == ("telegram:dialogs:read", "telegram:messages:read")
    assert minted.token not in repr(minted)


async def test_refusing_a_person_narrows_their_worker_tokens_at_the_next_use(harness: Harness) -> None:
    workers = workers_of(harness)
    person = await harness.services.identities.ensure(f"tg:{CLIENT_ID}")
    person = await harness.services.identities.set_telegram_user(person.id, CLIENT_ID)
    minted = await workers.mint(
        person, scopes=["telegram:dialogs:read"], ttl=3600, purpose="x", created_by=None
    )
    await harness.services.oauth.set_access(person.id, tier="none", scopes=None, set_by=None)
    narrowed = await harness.parts.server.verify_access(minted.token)
    assert narrowed is not None
    assert narrowed.scopes == ()


async def test_uses_are_audited_once_per_interval_and_an_expired_or_revoked_token_is_refused(
    harness: Harness,
) -> None:
    workers = workers_of(harness)
    admin = await harness.services.identities.ensure(f"tg:{ADMIN_ID}")
    admin = await harness.services.identities.set_telegram_user(admin.id, ADMIN_ID)
    minted = await workers.mint(
        admin, scopes=["admin:users:read"], ttl="1h", purpose="roster", created_by=None
    )
    for _ in range(3):
        assert await harness.parts.server.verify_access(minted.token) is not None
    harness.clock.advance(AUDIT_USE_EVERY + 1)
    assert await harness.parts.server.verify_access(minted.token) is not None
    rows = await harness.services.audit.page(admin.id, limit=10)
    harness.clock.advance(3600)
    expired = await harness.parts.server.verify_access(minted.token)
    second = await workers.mint(admin, scopes=["admin:users"], ttl="1h", purpose="roster", created_by=None)
    revoked = await workers.revoke(identity_id=admin.id)
    assert [(r.tool, r.peer_type, r.peer_id) for r in rows] == [
        ("worker_token:use", "worker_token", minted.row.id),
        ("worker_token:use", "worker_token", minted.row.id),
        ("worker_token:mint", "worker_token", minted.row.id),
    ]
    assert expired is None
    assert [row.jti for row in revoked] == [second.row.jti]  # the expired one needs no revoking
    assert await harness.parts.server.verify_access(second.token) is None


async def test_a_mint_beyond_the_tier_or_the_maximum_lifetime_stores_nothing(harness: Harness) -> None:
    workers = workers_of(harness)
    person = await harness.services.identities.ensure(f"tg:{CLIENT_ID}")
    person = await harness.services.identities.set_telegram_user(person.id, CLIENT_ID)
    with pytest.raises(PermissionDenied, match="does not include admin:users"):
        await workers.mint(person, scopes=["admin:users"], ttl="1h", purpose="x", created_by=None)
    with pytest.raises(InvalidInput, match="longer than WORKER_TOKEN_MAX_TTL"):
        await workers.mint(
            person, scopes=["telegram:dialogs:read"], ttl="9000h", purpose="x", created_by=None
        )
    with pytest.raises(InvalidInput, match="unknown scope"):
        await workers.mint(person, scopes=["telegram:everything"], ttl="1h", purpose="x", created_by=None)
    with pytest.raises(InvalidInput, match="short purpose"):
        await workers.mint(
            person, scopes=["telegram:dialogs:read"], ttl="1h", purpose="\u202e", created_by=None
        )
    assert await workers.listing() == []


@pytest.mark.parametrize(
    ("text", "seconds"), [("3600", 3600.0), ("90m", 5400.0), ("12h", 43200.0), ("30d", 2592000.0)]
)
def test_a_lifetime_reads_as_seconds_minutes_hours_or_days(text: str, seconds: float) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "forever", "-1h", "0", "1w"])
def test_a_lifetime_that_is_not_one_is_one_sentence(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^ttl: "):
        parse_ttl(text)
