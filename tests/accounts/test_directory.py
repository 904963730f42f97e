"""The directory's hot path: a warm tool call reads nothing from the database, and every
change that ends an account or a person's access is seen by the very next call."""

from __future__ import annotations

import dataclasses

import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account, tool_deps
from mctltg.oauth.scopes import DIALOGS_READ, MESSAGES_READ, SCOPES
from mctltg.sandbox import DemoWorld
from mctltg.tools import build_mcp_server
from tests.harness.mcp_client import signed_in

SUBJECT = "tg:4242"


async def _provisioned(services: Services, demo: DemoWorld) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me, subject=SUBJECT)


async def test_a_warm_tool_call_reads_nothing_from_the_database(services: Services, demo: DemoWorld) -> None:
    await _provisioned(services, demo)
    deps = dataclasses.replace(tool_deps(services), operator_mode=False)
    with signed_in(SUBJECT, set(SCOPES)), trio.fail_after(20):
        async with Client(build_mcp_server(deps)) as client:
            assert not (await client.call_tool("list_dialogs", {})).is_error  # warms the caches
            before = services.database.statistics().reads
            for _ in range(3):
                assert not (await client.call_tool("list_dialogs", {})).is_error
            after = services.database.statistics().reads
    assert after == before


async def test_a_warm_telegram_call_crosses_to_the_telegram_thread_once(
    services: Services, demo: DemoWorld
) -> None:
    await _provisioned(services, demo)
    identity = await services.directory.signed_in(SUBJECT)
    assert identity is not None
    with trio.fail_after(20):
        account = await services.directory.account_for(identity.id)
        await account.dialogs(5)
        before = services.bridge.statistics().calls_started
        await account.dialogs(5)
        await account.profile()
        after = services.bridge.statistics().calls_started
    assert after - before == 2


async def test_after_a_disconnect_the_next_call_is_told_the_account_was_revoked(
    services: Services, demo: DemoWorld
) -> None:
    await _provisioned(services, demo)
    deps = dataclasses.replace(tool_deps(services), operator_mode=False)
    with signed_in(SUBJECT, set(SCOPES)), trio.fail_after(20):
        async with Client(build_mcp_server(deps)) as client:
            assert not (await client.call_tool("list_dialogs", {})).is_error
            assert not (await client.call_tool("disconnect_telegram_account", {})).is_error
            refused = await client.call_tool("list_dialogs", {})
    assert refused.structured_content is not None
    assert refused.structured_content["error"] == "account_revoked"


async def test_after_a_delete_the_next_call_is_told_there_is_no_account(
    services: Services, demo: DemoWorld
) -> None:
    await _provisioned(services, demo)
    deps = dataclasses.replace(tool_deps(services), operator_mode=False)
    with signed_in(SUBJECT, set(SCOPES)), trio.fail_after(20):
        async with Client(build_mcp_server(deps)) as client:
            assert not (await client.call_tool("list_dialogs", {})).is_error
            assert not (await client.call_tool("delete_telegram_account", {})).is_error
            refused = await client.call_tool("list_dialogs", {})
    assert refused.structured_content is not None
    assert refused.structured_content["error"] == "no_account"


async def test_a_narrower_or_revoked_grant_takes_effect_at_the_next_call(
    services: Services, demo: DemoWorld
) -> None:
    # Scopes are never cached: each call's token decides (a revoked token never reaches a tool).
    await _provisioned(services, demo)
    deps = dataclasses.replace(tool_deps(services), operator_mode=False)
    with trio.fail_after(20):
        async with Client(build_mcp_server(deps)) as client:
            with signed_in(SUBJECT, {DIALOGS_READ, MESSAGES_READ}):
                assert not (await client.call_tool("list_dialogs", {})).is_error
            with signed_in(SUBJECT, {MESSAGES_READ}):
                refused = await client.call_tool("list_dialogs", {})
    assert refused.structured_content is not None
    assert refused.structured_content["error"] == "permission_denied"


async def test_a_tier_change_drops_the_cached_identity(services: Services, demo: DemoWorld) -> None:
    person = await services.identities.ensure("tg:777001")
    cached = await services.directory.signed_in(person.subject)
    assert cached is not None
    assert cached.telegram_user_id is None
    deps = tool_deps(services)
    assert deps.access is not None
    operator = await services.directory.operator()
    await deps.access.set(set_by=operator.id, telegram_id=777001, identity=None, tier="client", scopes=None)
    fresh = await services.directory.signed_in(person.subject)
    assert fresh is not None
    assert fresh.telegram_user_id == 777001
