"""Logging in through real Telethon: phone code, 2FA with real SRP, QR tokens."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from telethon import errors, events

from mctltg.sandbox.testing import ManualClock, open_client
from mctltg.sandbox.testing import run_bounded as run

if TYPE_CHECKING:
    from mctltg.sandbox import SandboxWorld

PHONE = "+9996621001"


def test_phone_login_without_a_password_logs_the_key_in(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada", phone=PHONE)

    async def scenario() -> None:
        async with open_client(world, device_model="Login rig") as client:
            sent = await client.send_code_request(PHONE)
            assert sent.type.length == 5
            code = world.last_login_code(PHONE)
            assert code is not None
            assert len(code) == 5
            user = await client.sign_in(PHONE, code)
            assert user.id == ada
            assert await client.is_user_authorized()
            assert (await client.get_me()).id == ada

    run(scenario)
    assert [a.device_model for a in world.authorizations(ada)] == ["Login rig"]


def test_asking_for_the_code_again_resends_the_same_code(world: SandboxWorld) -> None:
    world.add_user(first_name="Ada", phone=PHONE)

    async def scenario() -> None:
        async with open_client(world) as client:
            await client.send_code_request(PHONE)
            first = world.last_login_code(PHONE)
            mark = world.mark()
            await client.send_code_request(PHONE)
            assert world.calls_since(mark) == ["auth.ResendCodeRequest"]
            assert world.last_login_code(PHONE) == first
            assert await client.sign_in(PHONE, first)

    run(scenario)


def test_the_login_code_reaches_the_accounts_other_sessions_from_telegram(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada", phone=PHONE)
    existing = world.authorize_new_key(ada)

    async def scenario() -> str:
        async with open_client(world, key=existing) as phone_app, open_client(world) as new_device:
            received: asyncio.Future[str] = asyncio.get_running_loop().create_future()

            async def on_code(event: events.NewMessage.Event) -> None:
                if not received.done():
                    received.set_result(event.raw_text)

            phone_app.add_event_handler(on_code, events.NewMessage(from_users=777000))
            await new_device.send_code_request(PHONE)
            return await asyncio.wait_for(received, 5)

    text = run(scenario)
    code = world.last_login_code(PHONE)
    assert text.startswith(f"Login code: {code}. Do not give this code to anyone")
    assert world.history(viewer=ada, peer="user:777000")[0].text == text


def test_phone_login_with_a_password_needs_the_right_password(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada", phone=PHONE, password="correct horse")

    async def scenario() -> None:
        async with open_client(world) as client:
            await client.send_code_request(PHONE)
            with pytest.raises(errors.SessionPasswordNeededError):
                await client.sign_in(PHONE, world.last_login_code(PHONE))
            with pytest.raises(errors.PasswordHashInvalidError):
                await client.sign_in(password="battery staple")
            assert not await client.is_user_authorized()
            user = await client.sign_in(password="correct horse")
            assert user.id == ada
            assert await client.is_user_authorized()

    run(scenario)


def test_client_start_runs_the_whole_phone_and_password_flow(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada", phone=PHONE, password="pw")

    async def scenario() -> None:
        async with open_client(world) as client:
            await client.start(phone=PHONE, code_callback=lambda: world.last_login_code(PHONE), password="pw")
            assert (await client.get_me()).id == ada

    run(scenario)


def test_a_wrong_code_is_invalid_and_the_right_one_still_works(world: SandboxWorld) -> None:
    world.add_user(first_name="Ada", phone=PHONE)

    async def scenario() -> None:
        async with open_client(world) as client:
            await client.send_code_request(PHONE)
            code = world.last_login_code(PHONE)
            assert code is not None
            wrong = "00000" if code != "00000" else "11111"
            with pytest.raises(errors.PhoneCodeInvalidError):
                await client.sign_in(PHONE, wrong)
            assert await client.sign_in(PHONE, code)

    run(scenario)


def test_a_code_expires_by_the_worlds_clock(world: SandboxWorld, clock: ManualClock) -> None:
    world.add_user(first_name="Ada", phone=PHONE)
    world.code_expiry_seconds = 60

    async def scenario() -> None:
        async with open_client(world) as client:
            await client.send_code_request(PHONE)
            clock.advance(61)
            with pytest.raises(errors.PhoneCodeExpiredError):
                await client.sign_in(PHONE, world.last_login_code(PHONE))

    run(scenario)


def test_an_unknown_phone_needs_a_sign_up_which_is_refused(world: SandboxWorld) -> None:
    async def scenario() -> None:
        async with open_client(world) as client:
            await client.send_code_request("+9996629999")
            with pytest.raises(errors.PhoneNumberUnoccupiedError):
                await client.sign_in("+9996629999", world.last_login_code("+9996629999"))

    run(scenario)


def test_a_malformed_phone_number_is_invalid(world: SandboxWorld) -> None:
    async def scenario() -> None:
        async with open_client(world) as client:
            with pytest.raises(errors.PhoneNumberInvalidError):
                await client.send_code_request("12")

    run(scenario)


def test_qr_login_completes_when_the_token_is_accepted(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada")

    async def scenario() -> None:
        async with open_client(world) as client:
            qr = await client.qr_login()
            assert qr.url.startswith("tg://login?token=")
            waiting = asyncio.ensure_future(qr.wait(timeout=5))
            await asyncio.sleep(0)
            world.accept_qr_login(qr.token, user_id=ada)
            user = await waiting
            assert user.id == ada
            assert (await client.get_me()).id == ada

    run(scenario)


def test_qr_login_with_a_password_continues_with_the_password(world: SandboxWorld) -> None:
    ada = world.add_user(first_name="Ada", password="pw")

    async def scenario() -> None:
        async with open_client(world) as client:
            qr = await client.qr_login()
            waiting = asyncio.ensure_future(qr.wait(timeout=5))
            await asyncio.sleep(0)
            world.accept_qr_login(qr.token, user_id=ada)
            with pytest.raises(errors.SessionPasswordNeededError):
                await waiting
            user = await client.sign_in(password="pw")
            assert user.id == ada

    run(scenario)


def test_an_expired_qr_token_is_replaced_by_a_fresh_one(world: SandboxWorld, clock: ManualClock) -> None:
    ada = world.add_user(first_name="Ada")

    async def scenario() -> None:
        async with open_client(world) as client:
            qr = await client.qr_login()
            first = qr.token
            clock.advance(31)
            with pytest.raises(ValueError, match="AUTH_TOKEN_EXPIRED"):
                world.accept_qr_login(first, user_id=ada)
            await qr.recreate()
            assert qr.token != first
            world.accept_qr_login(qr.token, user_id=ada)
            await qr.recreate()  # the re-export now completes the login
            assert (await client.get_me()).id == ada

    run(scenario)
