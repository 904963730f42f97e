"""A lost answer: the world acts on a request, but its answer never reaches the client."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from mctltg.sandbox import Fault, SandboxWorld
from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run


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
