"""Account supervision: deadlines, isolation between accounts, reconnects, dead sessions."""

from __future__ import annotations

import pytest
import trio

from mctltg.app import Services, provision_sandbox_account
from mctltg.errors import AccountRevoked, TelegramTimeout, TelegramUnavailable
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld


async def _two_accounts(services: Services, demo: DemoWorld) -> tuple[int, int]:
    await provision_sandbox_account(services, telegram_user_id=demo.me, subject="alice")
    await provision_sandbox_account(services, telegram_user_id=demo.second, subject="bob")
    alice = await services.identities.by_subject("alice")
    bob = await services.identities.by_subject("bob")
    assert alice is not None
    assert bob is not None
    return alice.id, bob.id


async def test_a_stalled_call_times_out_while_another_account_keeps_serving(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    alice, bob = await _two_accounts(services, demo)
    world.add_fault(Fault.stall(request="messages.GetDialogsRequest", user_id=demo.me))
    events: list[str] = []

    async def stalled() -> None:
        with pytest.raises(TelegramTimeout) as caught:
            await (await services.directory.account_for(alice)).dialogs(10)
        assert "did not answer list_dialogs within 2 s" in str(caught.value)
        events.append("alice timed out")

    async def healthy() -> None:
        dialogs = await (await services.directory.account_for(bob)).dialogs(10)
        assert dialogs
        events.append("bob served")

    mark = world.mark()
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(stalled)
            # Bob asks only once Alice's request hangs at Telegram.
            while "messages.GetDialogsRequest" not in world.calls_since(mark, user_id=demo.me):
                await trio.sleep(0.01)
            nursery.start_soon(healthy)
    assert events == ["bob served", "alice timed out"]


async def test_a_dropped_connection_is_a_clear_error_and_the_account_reconnects(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    alice, bob = await _two_accounts(services, demo)
    world.add_fault(Fault.drop(request="messages.GetDialogsRequest", user_id=demo.me))
    with trio.fail_after(10):
        with pytest.raises(TelegramUnavailable, match="connection to Telegram dropped"):
            await (await services.directory.account_for(alice)).dialogs(10)
        assert await (await services.directory.account_for(bob)).dialogs(10)
        # the supervisor reconnects with backoff; the next call waits for it and succeeds
        assert await (await services.directory.account_for(alice)).dialogs(10)


async def test_a_session_telegram_killed_revokes_the_account(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    alice, bob = await _two_accounts(services, demo)
    world.revoke_authorizations(demo.me)
    with trio.fail_after(10):
        with pytest.raises(AccountRevoked, match="reconnect your Telegram account"):
            await (await services.directory.account_for(alice)).dialogs(10)
        with pytest.raises(AccountRevoked):
            await (await services.directory.account_for(alice)).dialogs(10)
        assert await (await services.directory.account_for(bob)).dialogs(10)
    row = await services.accounts.for_identity(alice)
    assert row is not None
    assert row.status == "revoked"
    assert not row.has_session


async def test_starting_an_account_twice_keeps_one_owner(services: Services, demo: DemoWorld) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me, subject="alice")
    await services.pool.start(account_id)
    await services.pool.start(account_id)
    assert services.pool.statistics().accounts == 1
