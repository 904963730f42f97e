"""Session lifecycle across restarts: resume without login, the persisted entity cache, dead sessions.

The same ``SandboxWorld`` outlives two ``open_services`` runs over one database: the
world is Telegram, which does not restart when our server does.
"""

from __future__ import annotations

import pytest
import trio
from mcp import Client

from mctltg.accounts import AccountState
from mctltg.app import Services, open_services, provision_sandbox_account, tool_deps
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from mctltg.telegram import PeerRef
from mctltg.tools import build_mcp_server
from tests.harness.world import code_for, identity_id

#: What Telethon's update machinery may ask on its own after a reconnect; never peer resolution.
UPDATE_MACHINERY = {
    "updates.GetStateRequest",
    "updates.GetDifferenceRequest",
    "updates.GetChannelDifferenceRequest",
}

#: The one RPC a one-message history page costs when its peer needs no resolution.
HISTORY = "messages.GetHistoryRequest"


async def _log_in(services: Services, world: SandboxWorld, phone: str) -> int:
    me = await identity_id(services)
    view = await services.logins.start_phone(me, phone)
    view = await services.logins.submit_code(me, view.login_id, code_for(world, phone))
    assert view.account is not None
    return me


async def test_an_account_resumes_after_a_restart_without_logging_in_again(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(30):
        async with open_services(settings, world=world) as first:
            me = await _log_in(first, world, demo.me_phone)
            before = await (await first.directory.account_for(me)).dialogs(50)
        mark = world.mark()
        async with open_services(settings, world=world) as second:
            assert second.pool.statistics().accounts == 1  # resumed at start, not on first use
            after = await (await second.directory.account_for(me)).dialogs(50)
    assert [d.peer for d in after] == [d.peer for d in before]
    assert not [name for name in world.calls_since(mark) if name.startswith("auth.")]
    assert len(world.authorizations(demo.me)) == 1  # the same auth key, no second login


async def test_a_peer_seen_before_a_restart_resolves_afterwards_with_zero_rpcs(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    friend = demo.contacts[0]
    with trio.fail_after(30):
        async with open_services(settings, world=world) as first:
            me = await _log_in(first, world, demo.me_phone)
            await (await first.directory.account_for(me)).dialogs(50)  # sees every peer
        async with open_services(settings, world=world) as second:
            account = await second.directory.account_for(me)
            await account.profile()  # connected
            mark = world.mark()
            # A stale or missing access hash would cost a dialog scan or a resolve call here.
            user = await account.history(PeerRef(kind="user", id=friend), limit=1)
            channel = await account.history(PeerRef(kind="channel", id=demo.channel), limit=1)
            calls = [name for name in world.calls_since(mark) if name not in UPDATE_MACHINERY]
    assert calls == [HISTORY, HISTORY]
    assert user.peer == f"user:{friend}"
    assert channel.peer == f"channel:{demo.channel}"


async def test_a_stale_access_hash_is_evicted_re_resolved_once_and_then_explained(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    async with Client(build_mcp_server(tool_deps(services))) as client:
        with trio.fail_after(20):
            await client.call_tool("list_dialogs", {})
            world.add_fault(
                Fault.rpc_error(400, "PEER_ID_INVALID", request="messages.GetHistoryRequest", times=2)
            )
            mark = world.mark()
            result = await client.call_tool("get_messages", {"peer": f"channel:{demo.channel}"})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "peer_invalid"
    assert "exactly as returned" in result.structured_content["message"]
    assert world.calls_since(mark).count("messages.GetHistoryRequest") == 2  # the original and one retry


DEAD_SESSIONS = [
    (401, "AUTH_KEY_UNREGISTERED"),
    (406, "AUTH_KEY_DUPLICATED"),
    (401, "AUTH_KEY_INVALID"),
    (401, "AUTH_KEY_PERM_EMPTY"),
    (401, "SESSION_REVOKED"),
    (401, "SESSION_EXPIRED"),
    (401, "USER_DEACTIVATED"),
    (401, "USER_DEACTIVATED_BAN"),
    (401, "SESSION_PASSWORD_NEEDED"),
]


@pytest.mark.parametrize(("code", "message"), DEAD_SESSIONS)
async def test_a_dead_session_revokes_the_account_and_every_later_call_says_reconnect(
    services: Services, world: SandboxWorld, demo: DemoWorld, code: int, message: str
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    world.add_fault(Fault.rpc_error(code, message, request="messages.GetDialogsRequest", user_id=demo.me))
    async with Client(build_mcp_server(tool_deps(services))) as client:
        with trio.fail_after(20):
            first = await client.call_tool("list_dialogs", {})
            second = await client.call_tool("list_dialogs", {})
    for result in (first, second):
        assert result.is_error
        assert result.structured_content is not None
        assert result.structured_content["error"] == "account_revoked"
        assert "reconnect your Telegram account" in result.structured_content["message"]
    row = await services.accounts.get(account_id)
    assert row is not None
    assert (row.status, row.has_session) == ("revoked", False)
    with trio.fail_after(5):  # its task ends (it was cancelled when Telegram killed the session)
        while services.pool.state(account_id) is not None:
            await trio.sleep(0.01)
    assert services.pool.statistics().accounts == 0


async def test_a_key_telegram_duplicated_while_we_were_down_is_revoked_at_connect(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(30):
        async with open_services(settings, world=world) as first:
            account_id = await provision_sandbox_account(first, telegram_user_id=demo.me)
        world.add_fault(Fault.rpc_error(406, "AUTH_KEY_DUPLICATED", request="help.GetConfigRequest"))
        async with open_services(settings, world=world) as second:
            async with Client(build_mcp_server(tool_deps(second))) as client:
                result = await client.call_tool("list_dialogs", {})
            row = await second.accounts.get(account_id)
    assert result.structured_content is not None
    assert result.structured_content["error"] == "account_revoked"
    assert row is not None
    assert row.status == "revoked"


async def test_a_session_logged_out_elsewhere_while_we_were_down_is_revoked_on_resume(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(30):
        async with open_services(settings, world=world) as first:
            account_id = await provision_sandbox_account(first, telegram_user_id=demo.me)
        world.revoke_authorizations(demo.me)
        async with open_services(settings, world=world) as second:
            async with Client(build_mcp_server(tool_deps(second))) as client:
                result = await client.call_tool("list_dialogs", {})
            state = second.pool.state(account_id)
    assert result.structured_content is not None
    assert result.structured_content["error"] == "account_revoked"
    assert state in (None, AccountState.REVOKED)


async def test_a_finished_login_hands_the_key_to_exactly_one_owner(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(20):
        me = await _log_in(services, world, demo.me_phone)
        await (await services.directory.account_for(me)).dialogs(5)
    assert world.connections(demo.me) == 1  # the login's own client let go before the pool took over


async def test_many_tasks_starting_one_account_at_once_give_it_one_owner(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    await services.pool.stop(account_id)
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(services.pool.start, account_id)
        me = await identity_id(services)
        async with trio.open_nursery() as nursery:
            for _ in range(5):
                nursery.start_soon(_list_dialogs, services, me)
    assert services.pool.statistics().accounts == 1
    assert world.connections(demo.me) == 1


async def _list_dialogs(services: Services, identity: int) -> None:
    await (await services.directory.account_for(identity)).dialogs(5)
