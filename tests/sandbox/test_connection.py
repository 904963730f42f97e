"""Connecting real Telethon to the world: identity, authorizations, revocation, the RPC log."""

from __future__ import annotations

import pytest
from telethon import TelegramClient, errors, functions
from telethon.network import MTProtoSender
from telethon.sessions import StringSession

from mctltg.sandbox import NOT_IMPLEMENTED, SandboxSender, SandboxWorld
from mctltg.sandbox.compat import SEAM_CLIENT_ATTRIBUTES, SEAM_SENDER_MEMBERS, check_telethon_seam
from mctltg.sandbox.testing import open_client
from mctltg.sandbox.testing import run_bounded as run


def test_the_telethon_internals_the_seam_replaces_still_exist() -> None:
    check_telethon_seam()
    assert all(hasattr(MTProtoSender, name) for name in SEAM_SENDER_MEMBERS)
    assert all(hasattr(SandboxSender, name) for name in SEAM_SENDER_MEMBERS)

    async def scenario() -> None:
        client = TelegramClient(StringSession(), api_id=1, api_hash="sandbox")
        assert all(hasattr(client, name) for name in SEAM_CLIENT_ATTRIBUTES)

    run(scenario)


def test_a_logged_in_key_connects_and_get_me_returns_the_user(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada", last_name="Lovelace", username="ada", phone="+9996620001")
    key = world.authorize_new_key(ada)

    async def scenario() -> None:
        async with open_client(world, key=key) as client:
            assert client.is_connected()
            me = await client.get_me()
            assert (me.id, me.first_name, me.username, me.phone) == (ada, "Ada", "ada", "9996620001")
            assert me.is_self
            assert me.access_hash == world.access_hash(viewer=ada, peer=f"user:{ada}") != 0
            assert await client.is_user_authorized()
            assert StringSession.save(client.session)  # the session carries the 256-byte key

    run(scenario)


def test_a_fresh_key_is_not_authorized(world: SandboxWorld) -> None:
    async def scenario() -> None:
        async with open_client(world) as client:
            assert await client.get_me() is None
            assert not await client.is_user_authorized()
            with pytest.raises(errors.AuthKeyUnregisteredError):
                await client(functions.updates.GetStateRequest())

    run(scenario)


def test_get_authorizations_shows_the_device_model_given_to_the_client(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    key = world.authorize_new_key(ada)
    other = world.authorize_new_key(ada)

    async def scenario() -> None:
        async with (
            open_client(world, key=other, device_model="Other laptop"),
            open_client(world, key=key, device_model="mctltg test rig") as client,
        ):
            result = await client(functions.account.GetAuthorizationsRequest())
            current = [a for a in result.authorizations if a.current]
            assert [a.device_model for a in current] == ["mctltg test rig"]
            assert {a.device_model for a in result.authorizations} == {"mctltg test rig", "Other laptop"}

    run(scenario)
    assert {a.device_model for a in world.authorizations(ada)} == {"mctltg test rig", "Other laptop"}


def test_revoked_authorizations_answer_auth_key_unregistered(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    key = world.authorize_new_key(ada)

    async def scenario() -> None:
        async with open_client(world, key=key) as client:
            assert await client.get_me() is not None
            world.revoke_authorizations(ada)
            assert await client.get_me() is None
            with pytest.raises(errors.UnauthorizedError) as caught:
                await client.get_dialogs()
            assert isinstance(caught.value, errors.AuthKeyUnregisteredError)

    run(scenario)
    assert world.authorizations(ada) == []


def test_a_saved_string_session_restores_the_login(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    key = world.authorize_new_key(ada)

    async def scenario() -> str:
        async with open_client(world, key=key) as client:
            return str(StringSession.save(client.session))

    saved = run(scenario)

    async def restored() -> None:
        client = TelegramClient(StringSession(saved), api_id=1, api_hash="sandbox")
        world.attach(client)
        try:
            await client.connect()
            assert (await client.get_me()).id == ada
        finally:
            await client.disconnect()

    run(restored)


def test_calls_since_names_the_requests_received_per_user(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    bob = world.add_user(first_name="Bob")
    world.send(sender=bob, peer=f"user:{ada}", text="hi")
    start = world.mark()

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            mark = world.mark()
            await client.get_dialogs()
            assert world.calls_since(mark) == ["messages.GetDialogsRequest"]

    run(scenario)
    assert world.calls_since(start)[0] == "help.GetConfigRequest"
    assert "messages.GetDialogsRequest" in world.calls_since(start, user_id=ada)
    assert world.calls_since(start, user_id=bob) == []


def test_an_unimplemented_request_is_a_bad_request_and_is_recorded(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            with pytest.raises(errors.BadRequestError) as caught:
                await client(functions.help.GetTermsOfServiceUpdateRequest())
            assert caught.value.message == NOT_IMPLEMENTED

    run(scenario)
    assert world.unimplemented_calls == ["help.GetTermsOfServiceUpdateRequest"]


def test_log_out_unbinds_the_key(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")

    async def scenario() -> None:
        async with open_client(world, key=world.authorize_new_key(ada)) as client:
            assert await client.log_out()

    run(scenario)
    assert world.authorizations(ada) == []


def test_after_auth_log_out_the_same_key_is_refused_with_auth_key_unregistered(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")
    key = world.authorize_new_key(ada)

    async def scenario() -> None:
        async with open_client(world, key=key) as client:
            assert await client(functions.auth.LogOutRequest())
            with pytest.raises(errors.AuthKeyUnregisteredError):
                await client(functions.updates.GetStateRequest())

    run(scenario)
    assert world.authorizations(ada) == []
