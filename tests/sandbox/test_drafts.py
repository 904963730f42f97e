"""Drafts and scheduled messages through real Telethon, answered as Telegram answers them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from telethon import errors, functions, types

from mctltg.sandbox.testing import ManualClock, open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld


def _pair(world: SandboxWorld) -> tuple[int, int]:
    alice = world.add_user(first_name="Alice", username="alice")
    bob = world.add_user(first_name="Bob", username="bobby")
    world.send(sender=bob, peer=f"user:{alice}", text="Hi Alice")
    return alice, bob


def test_telethons_get_drafts_reads_what_save_draft_stored_and_an_empty_text_clears_it(
    world: SandboxWorld,
) -> None:
    alice, bob = _pair(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            peer = await client.get_input_entity(bob)
            assert await client(functions.messages.SaveDraftRequest(peer=peer, message="Half a thought"))
            drafts = await client.get_drafts()
            assert [(d.entity.id, d.raw_text) for d in drafts] == [(bob, "Half a thought")]
            await client(functions.messages.SaveDraftRequest(peer=peer, message=""))
            assert await client.get_drafts() == []

    run(scenario)
    assert world.draft(viewer=alice, peer=f"user:{bob}") is None
    assert world.history(viewer=alice, peer=f"user:{bob}")[0].text == "Hi Alice"


def test_a_scheduled_send_is_queued_not_delivered_and_can_be_listed_and_deleted(
    world: SandboxWorld, clock: ManualClock
) -> None:
    alice, bob = _pair(world)
    when = dt.datetime.fromtimestamp(clock.now + 3600, dt.UTC)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            sent = await client.send_message(bob, "Later, please", schedule=when)
            assert sent.date == when
            listed = await client(
                functions.messages.GetScheduledHistoryRequest(peer=await client.get_input_entity(bob), hash=0)
            )
            assert [(m.id, m.message, m.from_scheduled) for m in listed.messages] == [
                (sent.id, "Later, please", True)
            ]
            answer = await client(
                functions.messages.DeleteScheduledMessagesRequest(
                    peer=await client.get_input_entity(bob), id=[sent.id, 999]
                )
            )
            deleted = [u for u in answer.updates if isinstance(u, types.UpdateDeleteScheduledMessages)]
            assert [u.messages for u in deleted] == [[sent.id]]

    run(scenario)
    assert world.scheduled(viewer=alice, peer=f"user:{bob}") == []
    assert [m.text for m in world.history(viewer=bob, peer=f"user:{alice}")] == ["Hi Alice"]


@pytest.mark.parametrize(
    ("offset", "error"),
    [(-60, errors.ScheduleDateInvalidError), (366 * 86400, errors.ScheduleDateTooLateError)],
)
def test_a_schedule_in_the_past_or_beyond_a_year_is_refused_with_telegrams_error(
    world: SandboxWorld, clock: ManualClock, offset: float, error: type[Exception]
) -> None:
    alice, bob = _pair(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            with pytest.raises(error):
                await client.send_message(bob, "When?", schedule=clock.now + offset)

    run(scenario)
    assert world.scheduled(viewer=alice, peer=f"user:{bob}") == []


def test_a_chat_holds_at_most_100_scheduled_messages(world: SandboxWorld, clock: ManualClock) -> None:
    alice, bob = _pair(world)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(alice)) as client:
            for n in range(100):
                await client.send_message(bob, f"Reminder {n}", schedule=clock.now + 3600 + n)
            with pytest.raises(errors.ScheduleTooMuchError):
                await client.send_message(bob, "One too many", schedule=clock.now + 7200)

    run(scenario, deadline=60)
    assert len(world.scheduled(viewer=alice, peer=f"user:{bob}")) == 100
