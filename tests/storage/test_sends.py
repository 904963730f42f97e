"""Send records: pending before sending, the per-peer limit and duplicate window, abandonment."""

from __future__ import annotations

import pytest

from mctltg.crypto import Sealer
from mctltg.sandbox.testing import ManualClock
from mctltg.storage import Accounts, AuditLog, Database, Identities, Sends
from mctltg.storage.audit import audit_key


@pytest.fixture
def audit(db: Database, key: bytes, clock: ManualClock) -> AuditLog:
    return AuditLog(db, key=audit_key(key), clock=clock)


@pytest.fixture
def sends(db: Database, audit: AuditLog, clock: ManualClock) -> Sends:
    return Sends(db, audit=audit, clock=clock)


async def owner(identities: Identities, accounts: Accounts) -> tuple[int, int]:
    identity = await identities.ensure("tg:1")
    account = await accounts.create(identity.id, device_name="test")
    return identity.id, account.id


async def begin(
    sends: Sends, ids: tuple[int, int], key: str, *, explicit: bool = True, digest: str = "d1"
) -> str:
    result = await sends.begin(
        identity_id=ids[0],
        account_id=ids[1],
        key=key,
        explicit_key=explicit,
        peer="user:5",
        text_digest=digest,
        limit_per_hour=2,
        duplicate_window=60,
        peer_type="user",
        peer_id=5,
    )
    return result.outcome


async def test_the_limit_counts_an_hour_of_sends_to_one_peer(
    sends: Sends, identities: Identities, accounts: Accounts, clock: ManualClock
) -> None:
    ids = await owner(identities, accounts)
    assert await begin(sends, ids, "key:a", digest="1") == "new"
    assert await begin(sends, ids, "key:b", digest="2") == "new"
    assert await begin(sends, ids, "key:c", digest="3") == "rate_limited"
    assert await begin(sends, ids, "key:a", digest="1") == "existing"
    clock.now += 3601
    assert await begin(sends, ids, "key:c", digest="3") == "new"
    assert await sends.recent_count(ids[0], "user:5") == 1


async def test_a_keyless_repeat_inside_the_window_is_a_duplicate(
    sends: Sends, identities: Identities, accounts: Accounts, clock: ManualClock
) -> None:
    ids = await owner(identities, accounts)
    assert await begin(sends, ids, "auto:1", explicit=False) == "new"
    assert await begin(sends, ids, "auto:2", explicit=False) == "duplicate"
    assert await begin(sends, ids, "key:x") == "new"  # a key says "on purpose"
    clock.now += 61
    assert await begin(sends, ids, "auto:3", explicit=False) == "rate_limited"  # 2 in the hour


async def test_pending_sends_become_unverified_at_startup_and_refusals_are_forgotten(
    sends: Sends, identities: Identities, accounts: Accounts
) -> None:
    ids = await owner(identities, accounts)
    await begin(sends, ids, "key:left")
    await begin(sends, ids, "key:refused", digest="2")
    refused = await sends.get(ids[0], "key:refused")
    assert refused is not None
    await sends.discard(refused.id)
    assert await sends.get(ids[0], "key:refused") is None
    assert await sends.abandon_pending() == 1
    left = await sends.get(ids[0], "key:left")
    assert left is not None
    assert left.state == "unverified"


async def test_deleting_the_account_deletes_its_send_records(
    sends: Sends, identities: Identities, accounts: Accounts, db: Database, key: bytes
) -> None:
    ids = await owner(identities, accounts)
    await begin(sends, ids, "key:a")
    await Accounts(db, Sealer(key)).delete(ids[1])
    assert await sends.get(ids[0], "key:a") is None


async def test_every_send_begun_has_its_audit_row_from_before_the_rpc_to_its_end(
    sends: Sends, identities: Identities, accounts: Accounts, audit: AuditLog
) -> None:
    ids = await owner(identities, accounts)
    assert await begin(sends, ids, "key:ok", digest="1") == "new"
    assert await begin(sends, ids, "key:lost", digest="2") == "new"
    assert await begin(sends, ids, "key:over", digest="3") == "rate_limited"
    rows = await audit.page(ids[0], limit=10)
    assert [(e.tool, e.outcome, e.peer_type, e.peer_id) for e in rows] == [
        ("send_message:delivery", "pending", "user", 5)
    ] * 2  # the limit of 2 per hour refused the third before anything was written

    ok = await sends.get(ids[0], "key:ok")
    lost = await sends.get(ids[0], "key:lost")
    assert ok is not None
    assert lost is not None
    await sends.complete(ok.id, message_id=1, sent_date=1.0, result_peer="user:5")
    await sends.mark_unverified(lost.id)
    assert [e.outcome for e in await audit.page(ids[0], limit=10)] == ["unverified", "sent"]
    assert (await audit.verify()).intact


async def test_a_refused_send_and_one_left_by_a_dead_process_complete_their_audit_rows(
    sends: Sends, identities: Identities, accounts: Accounts, audit: AuditLog
) -> None:
    ids = await owner(identities, accounts)
    await begin(sends, ids, "key:refused", digest="1")
    await begin(sends, ids, "key:left", digest="2")
    refused = await sends.get(ids[0], "key:refused")
    assert refused is not None
    await sends.discard(refused.id)
    assert await sends.abandon_pending() == 1
    assert [e.outcome for e in await audit.page(ids[0], limit=10)] == ["unverified", "refused"]
    assert (await audit.verify()).intact
