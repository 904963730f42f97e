"""Call discipline as a model sees it: flood waits, slow mode, stalls and Telegram's own error codes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account, tool_deps
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from mctltg.tools import build_mcp_server


@pytest.fixture
async def client(services: Services, demo: DemoWorld) -> AsyncIterator[Client]:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    async with Client(build_mcp_server(tool_deps(services))) as connected:
        yield connected


async def test_a_flood_wait_longer_than_the_threshold_is_answered_without_waiting_it_out(
    client: Client, world: SandboxWorld
) -> None:
    world.add_fault(Fault.flood_wait(30, request="messages.GetDialogsRequest"))
    first = world.mark()
    with trio.fail_after(10):
        result = await client.call_tool("list_dialogs", {})
        asked = world.calls_since(first)
        mark = world.mark()
        again = await client.call_tool("list_dialogs", {})
    # Waiting 30 s out would have ended in the call's own 2 s timeout (TG_CALL_TIMEOUT) instead,
    # and Telegram was asked once.
    assert asked.count("messages.GetDialogsRequest") == 1
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "flood_wait"
    assert result.structured_content["retry_after_seconds"] == 30
    assert "wait 30 s" in result.structured_content["message"]
    # Asking again inside the window is answered from memory: Telegram is not hammered.
    assert again.structured_content is not None
    assert again.structured_content["error"] == "flood_wait"
    assert "messages.GetDialogsRequest" not in world.calls_since(mark)


async def test_a_flood_wait_within_the_threshold_is_waited_out_inside_the_call(
    client: Client, world: SandboxWorld
) -> None:
    world.add_fault(Fault.flood_wait(1, request="messages.GetDialogsRequest"))
    mark = world.mark()
    with trio.fail_after(10):
        started = time.perf_counter()
        result = await client.call_tool("list_dialogs", {})
        elapsed = time.perf_counter() - started
    assert not result.is_error
    assert world.calls_since(mark).count("messages.GetDialogsRequest") == 2
    # A lower bound only (a loaded machine can make it longer, never shorter): the second
    # request waited the second Telegram asked for, as real Telegram would refuse it otherwise.
    assert elapsed >= 1.0


async def test_slow_mode_is_reported_like_a_flood_wait(client: Client, world: SandboxWorld) -> None:
    world.add_fault(Fault.rpc_error(420, "SLOWMODE_WAIT_45", request="messages.GetDialogsRequest"))
    with trio.fail_after(10):
        result = await client.call_tool("list_dialogs", {})
    assert result.structured_content is not None
    assert result.structured_content["error"] == "flood_wait"
    assert result.structured_content["retry_after_seconds"] == 45


async def test_a_stalled_connection_never_hangs_a_tool_call(client: Client, world: SandboxWorld) -> None:
    world.add_fault(Fault.stall(request="messages.GetDialogsRequest"))
    with trio.fail_after(10):  # TG_CALL_TIMEOUT is 2 s in the test settings
        result = await client.call_tool("list_dialogs", {})
    assert result.structured_content is not None
    assert result.structured_content["error"] == "timeout"


async def test_an_error_the_user_can_act_on_is_one_plain_sentence(
    client: Client, world: SandboxWorld
) -> None:
    world.add_fault(Fault.rpc_error(400, "CHANNEL_PRIVATE", request="messages.GetDialogsRequest"))
    with trio.fail_after(10):
        result = await client.call_tool("list_dialogs", {})
    assert result.structured_content is not None
    assert result.structured_content["code"] == "CHANNEL_PRIVATE"
    assert result.structured_content["message"] == (
        "This channel is private or you were removed from it; pick another chat from list_dialogs."
    )


async def test_an_unknown_telegram_error_keeps_its_code(client: Client, world: SandboxWorld) -> None:
    world.add_fault(Fault.rpc_error(400, "SOMETHING_ENTIRELY_NEW", request="messages.GetDialogsRequest"))
    with trio.fail_after(10):
        result = await client.call_tool("list_dialogs", {})
    assert result.structured_content is not None
    assert result.structured_content["error"] == "telegram_error"
    assert result.structured_content["code"] == "SOMETHING_ENTIRELY_NEW"
    assert "SOMETHING_ENTIRELY_NEW" in result.structured_content["message"]
