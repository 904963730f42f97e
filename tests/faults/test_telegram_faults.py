"""Faults at the Telegram connection and the database, with two accounts on one server.

Ada's account meets the fault; Grace's (another identity, another Telethon client)
is called once Ada's request has reached Telegram and must not notice. Each case asserts
what a user sees: one clear error (a fault that should not wait is not answered as the
call's ``timeout``, TG_CALL_TIMEOUT being 2 s here), the other account unaffected and,
where Ada's call hangs, answered before Ada's, nothing lost, and Ada's account serving
again once the fault is gone (or, for a dead session, a plain account_revoked). Every
claim is an order of events or a count of requests, never a wall-clock duration: on a
loaded machine durations say more about the machine than about the code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from tests.harness.mcp_client import ALL_SCOPES, connect, deps_for, signed_in


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
    ada_telegram_id: int


@dataclass(frozen=True)
class Outcome:
    """Both answers, and who was answered first."""

    ada: Any
    grace: Any
    answered: tuple[str, ...]


@pytest.fixture
async def two(services: Services, demo: DemoWorld) -> AsyncIterator[Two]:
    ada_id = await provision_sandbox_account(services, telegram_user_id=demo.me, subject="tg:ada")
    grace_id = await provision_sandbox_account(services, telegram_user_id=demo.second, subject="tg:grace")
    deps = deps_for(services, operator_mode=False)
    async with AsyncExitStack() as stack:
        ada = Caller(await stack.enter_async_context(connect(deps)), "tg:ada")
        grace = Caller(await stack.enter_async_context(connect(deps)), "tg:grace")
        yield Two(ada=ada, grace=grace, ada_id=ada_id, grace_id=grace_id, ada_telegram_id=demo.me)


async def _reached(world: SandboxWorld, mark: int, user_id: int, request: str) -> None:
    """Return once ``request`` from ``user_id`` has arrived at the sandbox Telegram."""
    with trio.fail_after(10):
        while request not in world.calls_since(mark, user_id=user_id):
            await trio.sleep(0.01)


async def _fault_beside_a_neighbour(
    two: Two, world: SandboxWorld, tool: str, arguments: dict[str, Any], *, request: str
) -> Outcome:
    """Ada calls ``tool``, whose ``request`` meets the fault; once it has, Grace lists her dialogs."""
    found: dict[str, Any] = {}
    answered: list[str] = []
    mark = world.mark()

    async def ada() -> None:
        found["ada"] = await two.ada.call_tool(tool, arguments)
        answered.append("ada")

    async def grace() -> None:
        await _reached(world, mark, two.ada_telegram_id, request)
        found["grace"] = await two.grace.call_tool("list_dialogs", {"limit": 10})
        answered.append("grace")

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ada)
            nursery.start_soon(grace)
    return Outcome(ada=found["ada"], grace=found["grace"], answered=tuple(answered))


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
    outcome = await _fault_beside_a_neighbour(
        two, world, "list_dialogs", {}, request="messages.GetDialogsRequest"
    )
    error = _error(outcome.ada)
    assert error["error"] in ("unavailable", "timeout"), error
    _fine(outcome.grace)
    with trio.fail_after(15):
        again = await two.ada.call_tool("list_dialogs", {})
    _fine(again)


async def test_a_stalled_connection_times_out_at_the_deadline_without_holding_up_others(
    two: Two, world: SandboxWorld, demo: DemoWorld
) -> None:
    peer = f"user:{demo.contacts[0]}"
    world.add_fault(Fault.stall(request="messages.GetHistoryRequest", user_id=demo.me))
    outcome = await _fault_beside_a_neighbour(
        two, world, "get_messages", {"peer": peer, "limit": 5}, request="messages.GetHistoryRequest"
    )
    assert _error(outcome.ada)["error"] == "timeout"
    _fine(outcome.grace)
    # Grace asked only once Ada's request hung at Telegram, and was answered before Ada's deadline.
    assert outcome.answered == ("grace", "ada")
    with trio.fail_after(15):
        again = await two.ada.call_tool("get_messages", {"peer": peer, "limit": 5})
    _fine(again)


async def test_a_long_flood_wait_answers_at_once_with_its_seconds_and_binds_only_that_account(
    two: Two, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.add_fault(Fault.flood_wait(120, request="messages.GetDialogsRequest", user_id=demo.me))
    mark = world.mark()
    outcome = await _fault_beside_a_neighbour(
        two, world, "list_dialogs", {}, request="messages.GetDialogsRequest"
    )
    error = _error(outcome.ada)
    # Waiting the 120 s out would have ended in the call's own 2 s timeout instead; and it was
    # asked once, not retried.
    assert (error["error"], error["retry_after_seconds"]) == ("flood_wait", 120)
    assert world.calls_since(mark, user_id=demo.me).count("messages.GetDialogsRequest") == 1
    _fine(outcome.grace)
    with trio.fail_after(15):
        grace_again = await two.grace.call_tool("list_dialogs", {})
    _fine(grace_again)


async def test_an_unregistered_auth_key_revokes_that_account_only_and_keeps_its_history(
    two: Two, world: SandboxWorld, demo: DemoWorld, services: Services
) -> None:
    world.add_fault(Fault.rpc_error(401, "AUTH_KEY_UNREGISTERED", user_id=demo.me, times=None))
    outcome = await _fault_beside_a_neighbour(
        two, world, "list_dialogs", {}, request="messages.GetDialogsRequest"
    )
    assert _error(outcome.ada)["error"] == "account_revoked"
    _fine(outcome.grace)
    with trio.fail_after(10):
        status = await two.ada.call_tool("get_my_send_status", {})
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
    with trio.fail_after(15):
        grace_again = await two.grace.call_tool("list_dialogs", {})
    _fine(grace_again)


async def test_a_database_locked_by_another_writer_is_a_clear_error_and_nothing_is_half_written(
    two: Two, services: Services, settings: Any
) -> None:
    _fine(await two.grace.call_tool("list_dialogs", {"limit": 5}))  # her idle-expiry mark is fresh
    before = await services.audit.verify()
    blocker = sqlite3.connect(settings.database_url, timeout=0)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        # SQLite's busy_timeout (5 s) for the refused write, then up to 5 s more for its audit
        # row (run_tool bounds that write too): the answer comes, late but bounded.
        with trio.fail_after(20):
            result = await two.ada.call_tool("set_send_consent", {"enabled": True})
            reading = await two.grace.call_tool("list_dialogs", {"limit": 5})
    finally:
        blocker.rollback()
        blocker.close()
    error = _error(result)
    assert error["error"] == "storage_error", error
    _fine(reading)  # reads go on while the write lock is held
    row = await services.accounts.get(two.ada_id)
    assert row is not None
    assert row.send_enabled is False  # the refused write left nothing behind
    with trio.fail_after(10):
        retried = await two.ada.call_tool("set_send_consent", {"enabled": True})
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
            reading = await two.grace.call_tool("list_dialogs", {"limit": 5})
    finally:
        blocker.rollback()
        blocker.close()
    _fine(reading)
