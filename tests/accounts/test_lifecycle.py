"""Idle and absolute session expiry, as the owner of the account notices it."""

from __future__ import annotations

import sqlite3
import time

import pytest
import trio
from mcp import Client

from mctltg.accounts import ExpiryPolicy, SessionLifecycle
from mctltg.app import Services, open_services, provision_sandbox_account, tool_deps
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.sandbox.testing import ManualClock
from mctltg.storage import AccountRow
from mctltg.tools import build_mcp_server

DAY = 86400.0


def _row(*, created_at: float, last_used_at: float | None) -> AccountRow:
    return AccountRow(
        id=1,
        identity_id=1,
        telegram_user_id=1,
        username=None,
        display_name="Ada",
        status="active",
        send_enabled=False,
        device_name="d",
        created_at=created_at,
        last_used_at=last_used_at,
        revoked_at=None,
        sandbox=True,
        has_session=True,
    )


@pytest.mark.parametrize(
    ("created_days_ago", "used_days_ago", "expected"),
    [
        (1, None, None),  # fresh
        (31, None, "idle"),  # never used since it was connected
        (40, 2, None),  # old but in use
        (40, 30, "idle"),  # unused for the whole idle window
        (90, 0, "absolute"),  # in use, but past its absolute lifetime
    ],
)
def test_the_policy_counts_idle_time_from_the_last_use_and_absolute_time_from_connecting(
    created_days_ago: float, used_days_ago: float | None, expected: str | None
) -> None:
    now = 1_800_000_000.0
    policy = ExpiryPolicy(idle=30 * DAY, absolute=90 * DAY)
    row = _row(
        created_at=now - created_days_ago * DAY,
        last_used_at=None if used_days_ago is None else now - used_days_ago * DAY,
    )
    assert policy.why_expired(row, now) == expected


def test_expiry_can_be_switched_off() -> None:
    policy = ExpiryPolicy(idle=None, absolute=None)
    assert policy.why_expired(_row(created_at=0.0, last_used_at=None), 1e12) is None


async def test_an_idle_account_is_logged_out_and_its_owner_told_to_reconnect(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    clock = ManualClock(time.time())
    lifecycle = SessionLifecycle(services.directory, ExpiryPolicy(idle=3600, absolute=None), clock=clock)
    with trio.fail_after(20):
        assert await lifecycle.sweep() == []
        clock.advance(3601)
        assert await lifecycle.sweep() == [account_id]
        async with Client(build_mcp_server(tool_deps(services))) as client:
            result = await client.call_tool("list_dialogs", {})
    assert result.structured_content is not None
    assert result.structured_content["error"] == "account_revoked"
    assert "reconnect your Telegram account" in result.structured_content["message"]
    assert world.authorizations(demo.me) == []  # ended at Telegram too
    assert services.pool.statistics().accounts == 0


async def test_tool_calls_record_use_for_idle_expiry(services: Services, demo: DemoWorld) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    before = await services.accounts.get(account_id)
    assert before is not None
    assert before.last_used_at is None
    with trio.fail_after(20):
        async with Client(build_mcp_server(tool_deps(services))) as client:
            await client.call_tool("list_dialogs", {})
    after = await services.accounts.get(account_id)
    assert after is not None
    assert after.last_used_at == pytest.approx(time.time(), abs=5)


async def test_an_account_that_expired_while_the_server_was_down_is_not_resumed(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(30):
        async with open_services(settings, world=world) as first:
            account_id = await provision_sandbox_account(first, telegram_user_id=demo.me)
        with sqlite3.connect(settings.database_url) as conn:  # connected 91 days ago
            conn.execute("UPDATE telegram_accounts SET created_at = created_at - ?", (91 * DAY,))
        mark = world.mark()
        async with open_services(settings, world=world) as second:
            running = second.pool.statistics().accounts
            row = await second.accounts.get(account_id)
    assert running == 0
    assert row is not None
    assert (row.status, row.has_session) == ("revoked", False)
    assert world.calls_since(mark) == []  # the expired key never connected again
