"""Registered clients do not pile up: never-used ones expire after a day, idle ones after 90 days."""

from __future__ import annotations

from mctltg.sandbox.testing import ManualClock
from mctltg.storage import Database, OAuthStore

DAY = 86_400.0


async def _register(store: OAuthStore, client_id: str) -> None:
    await store.add_client(
        client_id=client_id,
        client_name="C",
        redirect_uris=("https://example.com/cb",),
        grant_types=("authorization_code", "refresh_token"),
        scope=None,
    )


async def test_a_client_that_never_completed_an_authorization_expires_after_a_day(db: Database) -> None:
    clock = ManualClock()
    store = OAuthStore(db, clock=clock)
    await _register(store, "never-used")
    await _register(store, "used")
    await store.client_used("used")
    clock.advance(DAY + 60)
    await _register(store, "newcomer")  # registration sweeps
    assert await store.client("never-used") is None
    assert await store.client("used") is not None
    assert await store.client("newcomer") is not None


async def test_a_client_unused_for_90_days_expires(db: Database) -> None:
    clock = ManualClock()
    store = OAuthStore(db, clock=clock)
    await _register(store, "old")
    await store.client_used("old")
    clock.advance(89 * DAY)
    await _register(store, "a")
    assert await store.client("old") is not None
    clock.advance(2 * DAY)
    await _register(store, "b")
    assert await store.client("old") is None


async def test_clients_waiting_for_their_first_authorization_are_counted(db: Database) -> None:
    store = OAuthStore(db, clock=ManualClock())
    for n in range(3):
        await _register(store, f"c{n}")
    await store.client_used("c0")
    assert await store.unused_clients() == 2
