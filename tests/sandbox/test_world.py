"""The world's own API: population rules, read marks, mute, how failures surface, and
``SandboxWorld.connections`` (how many clients hold a logged-in key right now)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from telethon import errors, events, functions, types

from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.sandbox.testing import ManualClock, open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld


def test_population_refuses_what_telegram_would_refuse(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada", username="ada", phone="+9996620001")
    bob = world.add_user(first_name="Bob")
    with pytest.raises(ValueError, match="taken"):
        world.add_user(first_name="Other", username="ADA")
    with pytest.raises(ValueError, match="phone"):
        world.add_user(first_name="Other", phone="+999 662 0001")
    with pytest.raises(ValueError, match="malformed"):
        world.add_user(first_name="Other", phone="12")
    with pytest.raises(ValueError, match="taken"):
        world.add_user(first_name="Other", user_id=ada)
    channel = world.create_channel(title="News", creator=ada, members=[bob])
    with pytest.raises(ValueError, match="CHAT_ADMIN_REQUIRED"):
        world.send(sender=bob, peer=f"channel:{channel}", text="not an admin")
    with pytest.raises(ValueError, match="peer must look like"):
        world.send(sender=bob, peer="bob", text="?")
    with pytest.raises(ValueError, match="no user"):
        world.history(viewer=424242, peer=f"user:{ada}")
    assert world.add_user(first_name="Explicit", user_id=5555) == 5555


def test_read_marks_and_mute_set_on_the_world_side_show_in_dialogs(
    world: SandboxWorld, clock: ManualClock
) -> None:
    ada = world.add_user(first_name="Ada")
    bob = world.add_user(first_name="Bob")
    ids = [world.send(sender=bob, peer=f"user:{ada}", text=f"m{i}") for i in range(4)]
    del ids
    world.read(user_id=ada, peer=f"user:{bob}", max_id=2)
    world.mute(user_id=ada, peer=f"user:{bob}")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            (dialog,) = await client.get_dialogs()
            assert dialog.unread_count == 2
            assert dialog.dialog.notify_settings.mute_until.timestamp() > clock()
            world.mute(user_id=ada, peer=f"user:{bob}", muted=False)
            world.read(user_id=ada, peer=f"user:{bob}")
            (dialog,) = await client.get_dialogs()
            assert dialog.unread_count == 0
            assert dialog.dialog.notify_settings.mute_until is None

    run(scenario)


def test_add_service_join_makes_a_member_and_pin_pins_the_latest_message(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    bob = world.add_user(first_name="Bob")
    supergroup = world.create_channel(title="Circle", creator=ada, megagroup=True)
    world.add_service(actor=bob, peer=f"channel:{supergroup}", action="join")
    latest = world.send(sender=bob, peer=f"channel:{supergroup}", text="hello all")
    notice = world.add_service(actor=ada, peer=f"channel:{supergroup}", action="pin")
    history = world.history(viewer=bob, peer=f"channel:{supergroup}")
    assert [m.service for m in history] == [True, False, True, True]
    assert history[0].id == notice
    assert history[0].reply_to == latest
    assert history[1].pinned


def test_a_lost_push_is_healed_through_get_difference(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    bob = world.add_user(first_name="Bob")
    channel = world.create_channel(title="News", creator=bob, members=[ada])
    world.send(sender=bob, peer=f"user:{ada}", text="before")

    async def scenario() -> list[str]:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            await client.get_dialogs()
            seen: asyncio.Queue[str] = asyncio.Queue()

            async def on_message(event: events.NewMessage.Event) -> None:
                await seen.put(event.raw_text)

            client.add_event_handler(on_message, events.NewMessage(incoming=True))
            # While disconnected, pushes are lost; the next ones arrive with a pts gap.
            await client.disconnect()
            world.send(sender=bob, peer=f"user:{ada}", text="while away")
            world.send(sender=bob, peer=f"channel:{channel}", text="post while away")
            await client.connect()
            mark = world.mark()
            world.send(sender=bob, peer=f"user:{ada}", text="after")
            world.send(sender=bob, peer=f"channel:{channel}", text="post after")
            texts = [await asyncio.wait_for(seen.get(), 5) for _ in range(4)]
            calls = world.calls_since(mark)
            assert "updates.GetDifferenceRequest" in calls
            assert "updates.GetChannelDifferenceRequest" in calls
            return texts

    assert sorted(run(scenario)) == ["after", "post after", "post while away", "while away"]


def test_a_bug_in_the_world_surfaces_on_the_callers_future(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = world.add_user(first_name="Ada")

    def broken(*args: object) -> None:
        raise RuntimeError("bug in the world")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            monkeypatch.setattr(world._switchboard, "answer", broken)
            with pytest.raises(RuntimeError, match="bug in the world"):
                await asyncio.wait_for(client(functions.updates.GetStateRequest()), 2)
            monkeypatch.undo()
            assert (await client(functions.updates.GetStateRequest())).pts >= 1

    run(scenario)


def test_a_list_of_requests_with_a_failing_one_gives_multi_error(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            with pytest.raises(errors.MultiError) as caught:
                await client(
                    [
                        functions.updates.GetStateRequest(),
                        functions.users.GetFullUserRequest(types.InputUser(999_999, 1)),
                    ]
                )
            assert caught.value.results[0].pts >= 1
            assert isinstance(caught.value.exceptions[1], errors.UserIdInvalidError)

    run(scenario)


def test_entities_that_cannot_be_resolved_raise_value_error(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    stranger = world.add_user(first_name="Stranger")
    channel = world.create_channel(title="Private", creator=stranger)

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            with pytest.raises(ValueError):
                await client.get_entity("nobody_here")
            with pytest.raises(ValueError):
                await client.get_entity(types.PeerChannel(channel))  # no access hash known
            with pytest.raises(ValueError):
                await client.get_entity(stranger)  # no shared chat: a zero hash is not enough

    run(scenario)


def test_a_world_without_the_wire_round_trip_answers_the_same() -> None:
    world = SandboxWorld(clock=ManualClock(), round_trip=False)
    ada = world.add_user(first_name="Ada")
    bob = world.add_user(first_name="Bob")
    world.send(sender=bob, peer=f"user:{ada}", text="hi")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            (dialog,) = await client.get_dialogs()
            assert (dialog.name, dialog.unread_count) == ("Bob", 1)
            sent = await client.send_message(bob, "hello")
            assert sent.id == 2
            assert await client.send_read_acknowledge(bob)

    run(scenario)


def test_connections_count_connected_logged_in_clients_only(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    key = world.authorize_new_key(ada)

    async def scenario() -> list[int]:
        seen = [world.connections(ada)]
        async with open_client(world, key=key):
            seen.append(world.connections(ada))
            async with open_client(world, key=key), open_client(world):
                seen.append(world.connections(ada))  # the second is logged out: not Ada's
        seen.append(world.connections(ada))
        return seen

    assert run(scenario) == [0, 1, 2, 0]


def test_the_people_one_can_log_in_as_have_phones_and_say_whether_they_have_two_step() -> None:
    world = SandboxWorld()
    demo = seed_demo_world(world)
    people = {person.user_id: person for person in world.people_with_phones()}
    ada, grace = people[demo.me], people[demo.second]
    assert (ada.name, ada.phone, ada.two_step) == ("Ada Lovelace", demo.me_phone, False)
    assert (grace.phone, grace.two_step) == (demo.second_phone, True)
    assert all(person.phone.startswith("+") for person in people.values())
