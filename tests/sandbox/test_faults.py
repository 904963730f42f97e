"""Scripted faults as Telethon sees them: flood waits, errors, stalls, drops and delays, and
lost answers (the world acts on a request, but its answer never reaches the client)."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from telethon import TelegramClient, errors, functions
from telethon.sessions import StringSession

from mctltg.sandbox import Fault, SandboxWorld, sandbox_session_string
from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run


def _ada(world: SandboxWorld) -> int:
    ada = world.add_user(first_name="Ada")
    bob = world.add_user(first_name="Bob")
    world.send(sender=bob, peer=f"user:{ada}", text="hello")
    return ada


def test_a_flood_wait_fault_raises_flood_wait_error_with_its_seconds(world: SandboxWorld) -> None:
    ada = _ada(world)
    world.add_fault(Fault.flood_wait(30, request="messages.GetDialogsRequest"))

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            with pytest.raises(errors.FloodWaitError) as caught:
                await client.get_dialogs()
            assert caught.value.seconds == 30

    run(scenario)


def test_an_rpc_error_fault_maps_to_telethons_error_class_and_is_used_up(world: SandboxWorld) -> None:
    ada = _ada(world)
    world.add_fault(Fault.rpc_error(400, "PEER_ID_INVALID", request="messages.GetHistoryRequest", times=2))

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            dialog = (await client.get_dialogs())[0]
            for _ in range(2):
                with pytest.raises(errors.PeerIdInvalidError):
                    await client.get_messages(dialog, limit=1)
            assert [m.raw_text for m in await client.get_messages(dialog, limit=1)] == ["hello"]

    run(scenario)


def test_faults_can_target_one_user_and_last_until_cleared(world: SandboxWorld) -> None:
    ada = _ada(world)
    carol = world.add_user(first_name="Carol")

    async def scenario() -> None:
        async with (
            open_client(world, key=world.authorize_new_key(ada)) as ada_client,
            open_client(world, key=world.authorize_new_key(carol)) as carol_client,
        ):
            world.add_fault(Fault.rpc_error(400, "CHAT_RESTRICTED", user_id=carol, times=None))
            assert len(await ada_client.get_dialogs()) == 1
            for _ in range(3):
                with pytest.raises(errors.ChatRestrictedError):
                    await carol_client(functions.updates.GetStateRequest())
            world.clear_faults()
            assert (await carol_client(functions.updates.GetStateRequest())).pts >= 1

    run(scenario)


def test_a_stalled_request_is_never_answered_so_the_callers_deadline_fires(world: SandboxWorld) -> None:
    ada = _ada(world)
    world.add_fault(Fault.stall(request="messages.GetDialogsRequest"))

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.get_dialogs(), 0.2)
            assert len(await client.get_dialogs()) == 1  # the stall was used up

    run(scenario)


def test_a_dropped_connection_fails_pending_calls_until_connect_again(world: SandboxWorld) -> None:
    ada = _ada(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            world.add_fault(Fault.stall(request="messages.GetHistoryRequest"))
            mark = world.mark()
            stalled = asyncio.ensure_future(client.get_messages("me", limit=1))
            while "messages.GetHistoryRequest" not in world.calls_since(mark):  # it is in flight
                await asyncio.sleep(0.01)
            world.add_fault(Fault.drop(request="messages.GetDialogsRequest"))
            with pytest.raises(ConnectionError):
                await client.get_dialogs()
            with pytest.raises(ConnectionError):
                await stalled  # the pending call failed with the drop
            assert not client.is_connected()
            with pytest.raises(ConnectionError):
                await asyncio.wait_for(client.disconnected, 1)
            with pytest.raises(ConnectionError):
                await client.get_me()
            await asyncio.wait_for(client.connect(), 5)
            assert client.is_connected()
            assert len(await client.get_dialogs()) == 1

    run(scenario)


def test_a_drop_surfaces_as_connection_error_from_the_call_itself(world: SandboxWorld) -> None:
    ada = _ada(world)
    world.add_fault(Fault.drop(request="messages.GetDialogsRequest"))

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            with pytest.raises(ConnectionError):
                await client.get_dialogs()
            assert not client.is_connected()

    run(scenario)


def test_a_delay_fault_answers_after_real_time(world: SandboxWorld) -> None:
    ada = _ada(world)
    world.add_fault(Fault.delay(0.2, request="messages.GetDialogsRequest"))

    async def scenario() -> float:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            loop = asyncio.get_running_loop()
            started = loop.time()
            assert len(await client.get_dialogs()) == 1
            return loop.time() - started

    assert run(scenario) >= 0.19


def test_a_fault_without_a_request_name_spares_the_connect_call(world: SandboxWorld) -> None:
    ada = _ada(world)
    # Were it applied to connect()'s InitConnection, connect() would raise; get_me() turns it into None.
    world.add_fault(Fault.rpc_error(401, "AUTH_KEY_UNREGISTERED"))
    mark = world.mark()

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            assert client.is_connected()
            assert (await client.get_me()).id == ada

    run(scenario)
    assert world.calls_since(mark)[:2] == ["help.GetConfigRequest", "users.GetUsersRequest"]


def test_fault_values_are_validated() -> None:
    with pytest.raises(ValueError, match="times"):
        Fault.stall(times=0)
    with pytest.raises(ValueError, match="message"):
        Fault(kind="rpc_error")
    assert Fault.flood_wait(7).message == "FLOOD_WAIT_7"


def test_a_stalled_connect_hangs_until_the_callers_deadline(world: SandboxWorld) -> None:
    ada = _ada(world)
    world.add_fault(Fault.stall(request="help.GetConfigRequest"))

    async def scenario() -> None:
        client = TelegramClient(
            StringSession(sandbox_session_string(world.authorize_new_key(ada))), api_id=1, api_hash="sandbox"
        )
        world.attach(client)
        try:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.connect(), 0.2)
        finally:
            await client.disconnect()

    run(scenario)


def test_a_lost_answer_delivers_the_message_but_the_caller_never_hears_back(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    bob = world.add_user(first_name="Bob")
    world.send(sender=bob, peer=f"user:{ada}", text="hello")
    acted: list[int] = []
    world.add_fault(
        Fault.lose_answer(
            request="messages.SendMessageRequest",
            then=lambda: acted.append(len(world.history(viewer=bob, peer=f"user:{ada}"))),
        )
    )

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            await client.get_dialogs()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.send_message(bob, "are you there?"), 0.5)
            # The fault is used up: the next send is answered normally.
            sent = await client.send_message(bob, "second try")
            assert sent.id > 0

    run(scenario)
    assert acted == [2]
    assert [m.text for m in world.history(viewer=bob, peer=f"user:{ada}")][:2] == [
        "second try",
        "are you there?",
    ]


def test_a_given_key_can_be_authorized_again_in_a_new_world(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    key = secrets.token_bytes(256)
    world.authorize_key(ada, key)

    async def scenario() -> None:
        async with open_client(world, key=key) as client:
            me = await client.get_me()
            assert me.id == ada

    run(scenario)
    with pytest.raises(ValueError, match="256 bytes"):
        world.authorize_key(ada, b"short")
