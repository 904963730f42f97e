"""The login state machine over real Telethon and the sandbox world: every path a person can take."""

from __future__ import annotations

import logging
import time

import pytest
import trio

from mctltg.accounts import LoginStep, open_login_manager
from mctltg.accounts.code_limits import CodeRequestsLimited
from mctltg.accounts.login import LOGIN_TTL
from mctltg.app import SandboxFactory, Services
from mctltg.errors import InvalidInput
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld
from mctltg.sandbox.testing import ManualClock
from mctltg.telegram import ClientOptions
from tests.harness.world import code_for, identity_id, qr_token, wrong_code


async def test_a_phone_login_without_a_password_connects_the_account_and_it_serves_calls(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        assert view.step is LoginStep.NEEDS_CODE
        assert view.code_length == 5
        view = await services.logins.submit_code(me, view.login_id, code_for(world, demo.me_phone))
        assert view.step is LoginStep.DONE
        assert view.account is not None
        assert view.account.user_id == demo.me
        dialogs = await (await services.directory.account_for(me)).dialogs(5)
    assert dialogs
    row = await services.accounts.for_identity(me)
    assert row is not None
    assert (row.status, row.telegram_user_id, row.has_session) == ("active", demo.me, True)


async def test_a_phone_login_with_a_password_asks_for_it_and_then_connects(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.second_phone)
        view = await services.logins.submit_code(me, view.login_id, code_for(world, demo.second_phone))
        assert view.step is LoginStep.NEEDS_PASSWORD
        view = await services.logins.submit_password(me, view.login_id, demo.second_password)
    assert view.step is LoginStep.DONE
    assert view.account is not None
    assert view.account.user_id == demo.second


async def test_a_qr_login_finishes_when_a_logged_in_app_scans_the_code(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_qr(me)
        assert view.step is LoginStep.NEEDS_QR_SCAN
        assert view.qr_url is not None
        assert view.qr_url.startswith("tg://login?token=")
        waiting = await services.logins.wait_qr(me, view.login_id, timeout=0.05)
        assert waiting.step is LoginStep.NEEDS_QR_SCAN
        assert waiting.qr_url == view.qr_url  # nothing scanned, not expiring: the same code
        world.accept_qr_login(qr_token(view), user_id=demo.me)
        view = await services.logins.wait_qr(me, view.login_id, timeout=5)
    assert view.step is LoginStep.DONE
    assert view.account is not None
    assert view.account.user_id == demo.me


async def test_a_qr_login_of_an_account_with_a_password_continues_with_the_password(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_qr(me)
        world.accept_qr_login(qr_token(view), user_id=demo.second)
        view = await services.logins.wait_qr(me, view.login_id, timeout=5)
        assert view.step is LoginStep.NEEDS_PASSWORD
        view = await services.logins.submit_password(me, view.login_id, demo.second_password)
    assert view.step is LoginStep.DONE


async def test_a_wrong_code_can_be_corrected(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        view = await services.logins.submit_code(me, view.login_id, wrong_code(world, demo.me_phone))
        assert (view.step, view.reason, view.attempts_left) == (LoginStep.NEEDS_CODE, "wrong_code", 2)
        assert (
            view.message == "That login code is not right; check the code Telegram sent and enter it again."
        )
        view = await services.logins.submit_code(me, view.login_id, code_for(world, demo.me_phone))
    assert view.step is LoginStep.DONE


async def test_three_wrong_codes_end_the_login_with_one_sentence_and_nothing_stored(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        for wrong in ("11111", "22222", "33333"):
            if wrong == code_for(world, demo.me_phone):
                wrong = "44444"
            view = await services.logins.submit_code(me, view.login_id, wrong)
    assert (view.step, view.reason) == (LoginStep.FAILED, "too_many_attempts")
    assert view.message == "Too many wrong attempts; start the login again."
    assert await services.accounts.for_identity(me) is None
    assert world.authorizations(demo.me) == []


async def test_a_wrong_password_is_refused_and_the_right_one_still_works(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(30):
        view = await services.logins.start_phone(me, demo.second_phone)
        view = await services.logins.submit_code(me, view.login_id, code_for(world, demo.second_phone))
        view = await services.logins.submit_password(me, view.login_id, "not the password")
        assert (view.step, view.reason) == (LoginStep.NEEDS_PASSWORD, "wrong_password")
        assert await services.accounts.for_identity(me) is None
        view = await services.logins.submit_password(me, view.login_id, demo.second_password)
    assert view.step is LoginStep.DONE


async def test_an_expired_code_ends_the_login_and_stores_nothing(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    world.code_expiry_seconds = 0.0  # every code is already stale when it is typed
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        view = await services.logins.submit_code(me, view.login_id, code_for(world, demo.me_phone))
    assert (view.step, view.reason) == (LoginStep.FAILED, "code_expired")
    assert view.message == "The login code expired; start the login again to get a new code."
    assert await services.accounts.for_identity(me) is None


async def test_a_flood_wait_on_send_code_ends_the_login_at_once_with_its_seconds(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    world.add_fault(Fault.flood_wait(300, request="auth.SendCodeRequest"))
    mark = world.mark()
    with trio.fail_after(10):
        view = await services.logins.start_phone(me, demo.me_phone)
    assert world.calls_since(mark).count("auth.SendCodeRequest") == 1  # asked once, not waited out
    assert (view.step, view.reason, view.retry_after_seconds) == (LoginStep.FAILED, "flood_wait", 300)
    assert view.message == "Telegram asks to wait 300 s before another login attempt; start again after that."
    assert await services.accounts.for_identity(me) is None


async def test_a_phone_without_a_telegram_account_is_refused_rather_than_signed_up(
    services: Services, world: SandboxWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, "+9996620000")
        view = await services.logins.submit_code(me, view.login_id, code_for(world, "+9996620000"))
    assert (view.step, view.reason) == (LoginStep.FAILED, "sign_up_refused")
    assert "does not create accounts" in (view.message or "")
    assert "auth.SignUpRequest" not in world.calls_since(0)


async def test_an_account_connected_by_another_identity_is_refused_and_its_new_session_ended(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    alice = await identity_id(services, "alice")
    mallory = await identity_id(services, "mallory")
    with trio.fail_after(30):
        view = await services.logins.start_phone(alice, demo.me_phone)
        await services.logins.submit_code(alice, view.login_id, code_for(world, demo.me_phone))
        view = await services.logins.start_phone(mallory, demo.me_phone)
        view = await services.logins.submit_code(mallory, view.login_id, code_for(world, demo.me_phone))
    assert (view.step, view.reason) == (LoginStep.FAILED, "taken")
    assert view.message is not None
    assert view.message.startswith("This Telegram account is already connected")
    assert await services.accounts.for_identity(mallory) is None
    assert len(world.authorizations(demo.me)) == 1  # mallory's fresh session was logged out again


async def test_an_identity_with_a_connected_account_cannot_start_another_login(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        await services.logins.submit_code(me, view.login_id, code_for(world, demo.me_phone))
        mark = world.mark()
        again = await services.logins.start_qr(me)
    assert (again.step, again.reason) == (LoginStep.FAILED, "already_connected")
    assert "auth.ExportLoginTokenRequest" not in world.calls_since(mark)


async def test_submitting_the_same_code_twice_at_once_signs_in_once(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    views = []
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        code = code_for(world, demo.me_phone)
        mark = world.mark()

        async def submit() -> None:
            views.append(await services.logins.submit_code(me, view.login_id, code))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(submit)
            nursery.start_soon(submit)
        late = await services.logins.submit_password(me, view.login_id, "anything")
    assert [v.step for v in views] == [LoginStep.DONE, LoginStep.DONE]
    assert late.step is LoginStep.DONE
    assert world.calls_since(mark).count("auth.SignInRequest") == 1


async def test_a_repeated_wrong_code_costs_no_second_attempt(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        wrong = wrong_code(world, demo.me_phone)
        first = await services.logins.submit_code(me, view.login_id, wrong)
        mark = world.mark()
        second = await services.logins.submit_code(me, view.login_id, wrong)
    assert first == second
    assert world.calls_since(mark) == []


async def test_a_new_login_replaces_the_unfinished_one(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        first = await services.logins.start_phone(me, demo.me_phone)
        second = await services.logins.start_qr(me)
        old = await services.logins.view(me, first.login_id)
    assert (old.step, old.reason) == (LoginStep.FAILED, "superseded")
    assert second.step is LoginStep.NEEDS_QR_SCAN


async def test_nobody_else_can_drive_or_see_a_login(services: Services, demo: DemoWorld) -> None:
    me = await identity_id(services)
    other = await identity_id(services, "other")
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        with pytest.raises(InvalidInput, match="names no login of yours"):
            await services.logins.submit_code(other, view.login_id, "12345")
        with pytest.raises(InvalidInput, match="names no login of yours"):
            await services.logins.view(other, view.login_id)


@pytest.mark.parametrize("phone", ["12345", "0049 30 123", "+1", "+12 abc 345678", ""])
async def test_a_malformed_phone_number_is_refused_before_telegram_is_asked(
    services: Services, world: SandboxWorld, phone: str
) -> None:
    me = await identity_id(services)
    mark = world.mark()
    with pytest.raises(InvalidInput, match=r"\+14155550123"):
        await services.logins.start_phone(me, phone)
    assert world.calls_since(mark) == []


async def test_a_login_left_unfinished_expires_by_the_managers_clock(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    clock = ManualClock(time.time())
    options = ClientOptions(api_id=1, api_hash="sandbox", device_name="mctltg tests", app_version="test")
    async with open_login_manager(
        bridge=services.bridge,
        factory=SandboxFactory(world, options),
        accounts=services.accounts,
        identities=services.identities,
        pool=services.pool,
        device_name="mctltg tests",
        sandbox=True,
        call_timeout=2,
        connect_timeout=2,
        clock=clock,
    ) as logins:
        me = await identity_id(services)
        with trio.fail_after(20):
            abandoned = await logins.start_phone(me, demo.me_phone)
            assert abandoned.expires_at == clock.now + LOGIN_TTL
            clock.advance(LOGIN_TTL - 1)
            assert (await logins.view(me, abandoned.login_id)).step is LoginStep.NEEDS_CODE
            clock.advance(1)
            assert await logins.sweep() == 1
            view = await logins.view(me, abandoned.login_id)
            assert (view.step, view.reason) == (LoginStep.FAILED, "expired")
            assert view.message == "The login took too long and was abandoned; start again."
            late = await logins.start_qr(me)
            clock.advance(LOGIN_TTL)  # expired on first touch, without waiting for a sweep
            late = await logins.view(me, late.login_id)
        assert late.reason == "expired"


async def test_the_session_shows_the_configured_device_name_in_active_sessions(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(20):
        view = await services.logins.start_phone(me, demo.me_phone)
        await services.logins.submit_code(me, view.login_id, code_for(world, demo.me_phone))
    devices = [a.device_model for a in world.authorizations(demo.me)]
    assert devices == ["mctltg tests"]  # TG_DEVICE_NAME in the test settings


async def test_no_phone_number_code_or_password_reaches_a_log_line(
    services: Services, world: SandboxWorld, demo: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    me = await identity_id(services)
    with trio.fail_after(30):
        view = await services.logins.start_phone(me, demo.second_phone)
        code = code_for(world, demo.second_phone)
        view = await services.logins.submit_code(me, view.login_id, code)
        view = await services.logins.submit_password(me, view.login_id, "wrong horse battery")
        view = await services.logins.submit_password(me, view.login_id, demo.second_password)
    assert view.step is LoginStep.DONE
    secrets = [
        demo.second_phone,
        demo.second_phone.lstrip("+"),
        code,
        "wrong horse battery",
        demo.second_password,
    ]
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert not any(secret in text for secret in secrets), record.name


async def test_login_codes_to_one_number_are_rationed_and_a_refusal_leaves_the_login_in_progress(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services)
    with trio.fail_after(30):
        for _ in range(3):
            view = await services.logins.start_phone(me, demo.me_phone)
            assert view.step is LoginStep.NEEDS_CODE
        with pytest.raises(CodeRequestsLimited) as refused:
            await services.logins.start_phone(me, demo.me_phone)
        assert "for this phone number" in str(refused.value)
        assert "try again in" in str(refused.value)
        assert demo.me_phone not in str(refused.value)
        done = await services.logins.submit_code(me, view.login_id, code_for(world, demo.me_phone))
    assert done.step is LoginStep.DONE


async def test_signed_in_with_telegram_the_first_account_is_that_user_and_another_label_may_be_anyone(
    services: Services, world: SandboxWorld, demo: DemoWorld
) -> None:
    me = await identity_id(services, f"tg:{demo.me}")
    await services.identities.set_telegram_user(me, demo.me)
    with trio.fail_after(30):
        wrong = await services.logins.start_phone(me, demo.second_phone)
        wrong = await services.logins.submit_code(me, wrong.login_id, code_for(world, demo.second_phone))
        wrong = await services.logins.submit_password(me, wrong.login_id, demo.second_password)
        first = await services.logins.start_phone(me, demo.me_phone)
        first = await services.logins.submit_code(me, first.login_id, code_for(world, demo.me_phone))
        work = await services.logins.start_phone(me, demo.second_phone, label="work")
        work = await services.logins.submit_code(me, work.login_id, code_for(world, demo.second_phone))
        work = await services.logins.submit_password(me, work.login_id, demo.second_password)
        again = await services.logins.start_phone(me, demo.me_phone, label="other")
        again = await services.logins.submit_code(me, again.login_id, code_for(world, demo.me_phone))
    assert (wrong.step, wrong.reason) == (LoginStep.FAILED, "different_account")
    assert (first.step, work.step, work.label) == (LoginStep.DONE, LoginStep.DONE, "work")
    assert (again.step, again.reason) == (LoginStep.FAILED, "taken")  # one Telegram user, one connection
    rows = await services.accounts.list_for_identity(me)
    assert [(r.label, r.telegram_user_id, r.status) for r in rows] == [
        ("main", demo.me, "active"),
        ("work", demo.second, "active"),
    ]
