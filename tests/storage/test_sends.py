"""Send records: pending before sending, the per-peer limit and duplicate window, abandonment."""

from __future__ import annotations

import pytest

from mctltg.crypto import Sealer
from mctltg.storage import Accounts, Database, Identities, Sends

from .support import FakeClock


@pytest.fixture
def sends(db: Database, clock: FakeClock) -> Sends:
    return Sends(db, clock=clock)


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
    )
    return result.outcome


async def test_the_limit_counts_an_hour_of_sends_to_one_peer(
    sends: Sends, identities: Identities, accounts: Accounts, clock: FakeClock
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
    sends: Sends, identities: Identities, accounts: Accounts, clock: FakeClock
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
