"""Faults at the Telegram connection and the database, with two accounts on one server.

Ada's account meets the fault; Grace's (another identity, another Telethon client)
is called at the same moment and must not notice. Each case asserts what a user
sees: one clear error within the call's deadline (TG_CALL_TIMEOUT is 2 s here), the
other account unaffected, nothing lost, and Ada's account serving again once the
fault is gone (or, for a dead session, a plain account_revoked).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from tests.tools.sending_support import ALL_SCOPES, connect, deps_for, signed_in

DEADLINE = 2.0 + 1.5  # TG_CALL_TIMEOUT plus the bridge's cleanup and a loaded machine's slack


@dataclass
class Caller:
    """One identity's client; the SDK carries the caller's token with each request it sends."""

    client: Client
    subject: str

    async def call_tool(self, tool: str, arguments: dict[str, Any]) -> Any:
        with signed_in(self.subject, ALL_SCOPES):
            return await self.client.call_tool(tool, arguments)


@dataclass
class Two:
    ada: Caller
    grace: Caller
    ada_id: int
    grace_id: int


@pytest.fixture
async def two(services: Services, demo: DemoWorld) -> AsyncIterator[Two]:
    ada_id = await provision_sandbox_account(services, telegram_user_id=demo.me, subject="tg:ada")
    grace_id = await provision_sandbox_account(services, telegram_user_id=demo.second, subject="tg:grace")
    deps = deps_for(services, operator_mode=False)
    async with AsyncExitStack() as stack:
        ada = Caller(await stack.enter_async_context(connect(deps)), "tg:ada")
        grace = Caller(await stack.enter_async_context(connect(deps)), "tg:grace")
        yield Two(ada=ada, grace=grace, ada_id=ada_id, grace_id=grace_id)


async def _timed(client: Caller, tool: str, arguments: dict[str, Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await client.call_tool(tool, arguments)
    return result, time.perf_counter() - started


async def _fault_beside_a_neighbour(
    two: Two, tool: str, arguments: dict[str, Any]
) -> tuple[Any, float, Any, float]:
    """Ada calls ``tool`` (meeting the fault) while Grace lists her dialogs at the same time."""
    found: dict[str, tuple[Any, float]] = {}

    async def ada() -> None:
        found["ada"] = await _timed(two.ada, tool, arguments)

    async def grace() -> None:
        await trio.sleep(0.05)  # Ada's call is in flight
        found["grace"] = await _timed(two.grace, "list_dialogs", {"limit": 10})

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ada)
            nursery.start_soon(grace)
    return (*found["ada"], *found["grace"])


def _error(result: Any) -> dict[str, Any]:
    assert result.is_error
    payload: dict[str, Any] = result.structured_content
    assert "\n" not in payload["message"]
    return payload


def _fine(result: Any) -> None:
    assert not result.is_error, result.structured_content


async def test_a_connection_dropped_mid_call_is_a_clear_error_and_the_account_reconnects(
    two: Two, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.add_fault(Fault.drop(request="messages.GetDialogsRequest", user_id=demo.me))
    result, took, neighbour, neighbour_took = await _fault_beside_a_neighbour(two, "list_dialogs", {})
    error = _error(result)
    assert error["error"] in ("unavailable", "timeout"), error
    assert took < DEADLINE
    _fine(neighbour)
    assert neighbour_took < 1.5
    with trio.fail_after(15):
        again, _ = await _timed(two.ada, "list_dialogs", {})
    _fine(again)


async def test_a_stalled_connection_times_out_at_the_deadline_without_holding_up_others(
    two: Two, world: SandboxWorld, demo: DemoWorld
) -> None:
    peer = f"user:{demo.contacts[0]}"
    world.add_fault(Fault.stall(request="messages.GetHistoryRequest", user_id=demo.me))
    result, took, neighbour, neighbour_took = await _fault_beside_a_neighbour(
        two, "get_messages", {"peer": peer, "limit": 5}
    )
    assert _error(result)["error"] == "timeout"
    assert 1.5 < took < DEADLINE
    _fine(neighbour)
    assert neighbour_took < 1.5
    with trio.fail_after(15):
        again, _ = await _timed(two.ada, "get_messages", {"peer": peer, "limit": 5})
    _fine(again)


async def test_a_long_flood_wait_answers_at_once_with_its_seconds_and_binds_only_that_account(
    two: Two, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.add_fault(Fault.flood_wait(120, request="messages.GetDialogsRequest", user_id=demo.me))
    result, took, neighbour, _ = await _fault_beside_a_neighbour(two, "list_dialogs", {})
    error = _error(result)
    assert (error["error"], error["retry_after_seconds"]) == ("flood_wait", 120)
    assert took < 1.0
    _fine(neighbour)
    grace_again, _ = await _timed(two.grace, "list_dialogs", {})
    _fine(grace_again)


async def test_an_unregistered_auth_key_revokes_that_account_only_and_keeps_its_history(
    two: Two, world: SandboxWorld, demo: DemoWorld, services: Services
) -> None:
    world.add_fault(Fault.rpc_error(401, "AUTH_KEY_UNREGISTERED", user_id=demo.me, times=None))
    result, took, neighbour, _ = await _fault_beside_a_neighbour(two, "list_dialogs", {})
    assert _error(result)["error"] == "account_revoked"
    assert took < DEADLINE
    _fine(neighbour)
    with trio.fail_after(10):
        status, _ = await _timed(two.ada, "get_my_send_status", {})
        ada_row = await services.accounts.get(two.ada_id)
        grace_row = await services.accounts.get(two.grace_id)
        audit = await services.audit.verify()
    assert not status.is_error or status.structured_content["error"] == "account_revoked"
    assert ada_row is not None
    assert ada_row.status == "revoked"
    assert grace_row is not None
    assert (grace_row.status, grace_row.has_session) == ("active", True)
    assert audit.intact
    assert audit.rows >= 3  # every call so far left its row, the failed one included
    world.clear_faults()
    grace_again, _ = await _timed(two.grace, "list_dialogs", {})
    _fine(grace_again)


async def test_a_database_locked_by_another_writer_is_a_clear_error_and_nothing_is_half_written(
    two: Two, services: Services, settings: Any
) -> None:
    _fine(await two.grace.call_tool("list_dialogs", {"limit": 5}))  # her idle-expiry mark is fresh
    before = await services.audit.verify()
    blocker = sqlite3.connect(settings.database_url, timeout=0)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with trio.fail_after(20):
            result, took = await _timed(two.ada, "set_send_consent", {"enabled": True})
            reading, _ = await _timed(two.grace, "list_dialogs", {"limit": 5})
    finally:
        blocker.rollback()
        blocker.close()
    error = _error(result)
    assert error["error"] == "storage_error", error
    # SQLite's busy_timeout (5 s) for the refused write, then up to 5 s more for its audit row
    # (the tool decorator bounds that write too): the answer comes, late but bounded.
    assert took < 5.0 + 5.0 + 1.5
    _fine(reading)  # reads go on while the write lock is held
    row = await services.accounts.get(two.ada_id)
    assert row is not None
    assert row.send_enabled is False  # the refused write left nothing behind
    with trio.fail_after(10):
        retried, _ = await _timed(two.ada, "set_send_consent", {"enabled": True})
    _fine(retried)
    row = await services.accounts.get(two.ada_id)
    assert row is not None
    assert row.send_enabled is True
    after = await services.audit.verify()
    assert after.intact
    assert after.rows > before.rows


async def test_a_read_whose_idle_expiry_mark_is_due_still_succeeds_while_the_database_is_locked(
    two: Two, settings: Any
) -> None:
    blocker = sqlite3.connect(settings.database_url, timeout=0)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with trio.fail_after(20):
            reading, _ = await _timed(two.grace, "list_dialogs", {"limit": 5})
    finally:
        blocker.rollback()
        blocker.close()
    _fine(reading)
