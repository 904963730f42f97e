"""``mctltg login`` end to end in process: the CLI's driver, real Telethon, the sandbox world.

A sandbox world lives inside one process, so the driver (``cli_login.run_login``) runs
here with the world injected; everything above the client factory is the production path.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import trio

from mctltg import cli
from mctltg.app import open_services, provision_sandbox_account
from mctltg.cli_login import login_command, run_login
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, Fault, SandboxWorld, seed_demo_world
from mctltg.sandbox.testing import ManualClock
from tests.harness.world import wrong_code

Answer = str | Callable[[], str]


class ScriptedPrompter:
    """Answers prompts in order, as a person at a terminal would; records what was asked."""

    def __init__(self, *answers: Answer) -> None:
        self._answers = list(answers)
        self.prompts: list[str] = []

    def secret(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self._answers:
            raise EOFError
        answer = self._answers.pop(0)
        return answer() if callable(answer) else answer


class Screen(io.StringIO):
    """The terminal: remembers every ``tg://login`` link drawn, and wakes a waiting test."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.new_link = trio.Event()

    def write(self, text: str) -> int:
        if "tg://login?token=" in text:
            self.links.append(text[text.index("tg://login?token=") :].split()[0])
            self.new_link.set()
        return super().write(text)

    async def wait_for_link(self, count: int) -> bytes:
        while len(self.links) < count:
            self.new_link = trio.Event()
            await self.new_link.wait()
        token = self.links[count - 1].removeprefix("tg://login?token=")
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


async def _stored_account_serves(settings: Settings, world: SandboxWorld, subject: str = "operator") -> int:
    """Open the server over the same database and world: the stored session answers a call."""
    async with open_services(settings, world=world) as services:
        identity = await services.identities.ensure(subject)
        dialogs = await (await services.directory.account_for(identity.id)).dialogs(5)
        row = await services.accounts.for_identity(identity.id)
    assert dialogs
    assert row is not None
    assert row.telegram_user_id is not None
    return row.telegram_user_id


async def test_login_by_phone_asks_for_the_code_without_echo_and_stores_the_session(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    screen = Screen()
    prompter = ScriptedPrompter(lambda: world.last_login_code(demo.me_phone) or "")
    with trio.fail_after(30):
        status = await run_login(
            settings, phone=demo.me_phone, qr=False, out=screen, prompter=prompter, world=world
        )
        assert status == 0, screen.getvalue()
        assert await _stored_account_serves(settings, world) == demo.me
    assert prompter.prompts == ["Login code (Telegram sent it to your Telegram apps): "]
    assert "Logged in to Telegram as" in screen.getvalue()
    assert world.last_login_code(demo.me_phone) is None  # used up


async def test_login_by_phone_with_two_step_verification_asks_for_the_password(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    screen = Screen()
    prompter = ScriptedPrompter(
        lambda: world.last_login_code(demo.second_phone) or "", "nope", demo.second_password
    )
    with trio.fail_after(30):
        status = await run_login(
            settings, phone=demo.second_phone, qr=False, out=screen, prompter=prompter, world=world
        )
        assert status == 0, screen.getvalue()
        assert await _stored_account_serves(settings, world) == demo.second
    assert [p.split(" (")[0].split(":")[0] for p in prompter.prompts] == [
        "Login code",
        "Two-step verification password",
        "Two-step verification password",
    ]
    output = screen.getvalue()
    assert "That two-step verification password is not right; enter it again." in output
    assert demo.second_password not in output


async def test_login_by_qr_redraws_an_expiring_code_and_finishes_when_scanned(
    settings: Settings,
) -> None:
    clock = ManualClock(time.time())
    world = SandboxWorld(clock=clock)
    demo = seed_demo_world(world)
    screen = Screen()
    result: list[int] = []
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:

            async def login() -> None:
                result.append(
                    await run_login(
                        settings,
                        phone=None,
                        qr=True,
                        out=screen,
                        prompter=ScriptedPrompter(),
                        world=world,
                        clock=clock,
                        qr_poll_seconds=0.02,
                    )
                )

            nursery.start_soon(login)
            first = await screen.wait_for_link(1)
            clock.advance(31)  # Telegram's QR tokens live 30 s
            with pytest.raises(ValueError, match="AUTH_TOKEN_EXPIRED"):
                world.accept_qr_login(first, user_id=demo.me)
            second = await screen.wait_for_link(2)
            assert second != first
            world.accept_qr_login(second, user_id=demo.me)
        assert result == [0], screen.getvalue()
        assert await _stored_account_serves(settings, world) == demo.me
    assert screen.getvalue().count("Scan this with Telegram") == 2  # the QR code itself, twice


async def test_login_by_qr_falls_through_to_the_password_prompt(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    screen = Screen()
    prompter = ScriptedPrompter(demo.second_password)
    result: list[int] = []
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:

            async def login() -> None:
                result.append(
                    await run_login(
                        settings,
                        phone=None,
                        qr=True,
                        out=screen,
                        prompter=prompter,
                        world=world,
                        qr_poll_seconds=0.02,
                    )
                )

            nursery.start_soon(login)
            world.accept_qr_login(await screen.wait_for_link(1), user_id=demo.second)
        assert result == [0], screen.getvalue()
    assert prompter.prompts == ["Two-step verification password: "]


async def test_three_wrong_codes_end_with_one_sentence_and_nothing_saved(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    screen = Screen()
    bad = [lambda: wrong_code(world, demo.me_phone), lambda: "99999", lambda: "88888"]
    with trio.fail_after(30):
        status = await run_login(
            settings, phone=demo.me_phone, qr=False, out=screen, prompter=ScriptedPrompter(*bad), world=world
        )
        async with open_services(settings, world=world) as services:
            identity = await services.identities.ensure("operator")
            stored = await services.accounts.for_identity(identity.id)
    assert status == 1
    lines = screen.getvalue().strip().splitlines()
    assert lines[-1] == "mctltg: Too many wrong attempts; start the login again."
    assert stored is None


async def test_a_flood_wait_while_sending_the_code_ends_with_its_seconds(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.add_fault(Fault.flood_wait(1234, request="auth.SendCodeRequest"))
    screen = Screen()
    prompter = ScriptedPrompter()
    with trio.fail_after(30):
        status = await run_login(
            settings, phone=demo.me_phone, qr=False, out=screen, prompter=prompter, world=world
        )
    assert status == 1
    assert screen.getvalue().strip().splitlines()[-1] == (
        "mctltg: Telegram asks to wait 1234 s before another login attempt; start again after that."
    )
    assert prompter.prompts == []


async def test_an_expired_code_ends_with_one_sentence(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    world.code_expiry_seconds = 0.0
    screen = Screen()
    prompter = ScriptedPrompter(lambda: world.last_login_code(demo.me_phone) or "")
    with trio.fail_after(30):
        status = await run_login(
            settings, phone=demo.me_phone, qr=False, out=screen, prompter=prompter, world=world
        )
    assert status == 1
    assert screen.getvalue().strip().splitlines()[-1] == (
        "mctltg: The login code expired; start the login again to get a new code."
    )


async def test_a_phone_of_another_identitys_account_ends_with_one_sentence(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(30):
        async with open_services(settings, world=world) as services:
            await provision_sandbox_account(services, telegram_user_id=demo.me, subject="alice")
        screen = Screen()
        prompter = ScriptedPrompter(lambda: world.last_login_code(demo.me_phone) or "")
        status = await run_login(
            settings, phone=demo.me_phone, qr=False, out=screen, prompter=prompter, world=world
        )
    assert status == 1
    assert (
        screen.getvalue()
        .strip()
        .splitlines()[-1]
        .startswith("mctltg: This Telegram account is already connected")
    )
    assert len(world.authorizations(demo.me)) == 1  # only alice's session remains


def test_login_needs_exactly_one_of_phone_or_qr(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["login"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["login", "--qr", "--phone", "+14155550123"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_malformed_phone_number_is_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AUTH_MODE": "local-dev",
        "TELEGRAM_SANDBOX": "true",
        "ENCRYPTION_KEY": "11" * 32,
        "DATABASE_URL": str(tmp_path / "cli.db"),
    }.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    status = cli.main(
        ["--env-file", str(tmp_path / "none.env"), "login", "--phone", "0049 30 1234"], stdout=out
    )
    assert status == 2
    assert out.getvalue().strip() == (
        "mctltg: --phone must be an international number: + and country code, e.g. +14155550123"
    )
    assert not (tmp_path / "cli.db").exists()


async def test_login_with_a_new_label_adds_a_second_account_and_the_limit_refuses_a_third_before_any_code(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    limited = settings.replace(max_accounts_per_identity=2)
    screen = Screen()
    ada = ScriptedPrompter(lambda: world.last_login_code(demo.me_phone) or "")
    grace = ScriptedPrompter(lambda: world.last_login_code(demo.second_phone) or "", demo.second_password)
    with trio.fail_after(60):
        first = await run_login(limited, phone=demo.me_phone, qr=False, out=screen, prompter=ada, world=world)
        second = await run_login(
            limited, phone=demo.second_phone, qr=False, out=screen, prompter=grace, world=world, label="work"
        )
        mark = world.mark()
        third = await run_login(
            limited,
            phone=demo.me_phone,
            qr=False,
            out=screen,
            prompter=ScriptedPrompter(),
            world=world,
            label="x",
        )
        calls = world.calls_since(mark)
        async with open_services(limited, world=world) as services:
            identity = await services.identities.ensure("operator")
            rows = await services.accounts.list_for_identity(identity.id)
            work = await (await services.directory.account_for(identity.id, "work")).profile()
    assert (first, second, third) == (0, 0, 1), screen.getvalue()
    assert [(r.label, r.telegram_user_id, r.is_default) for r in rows] == [
        ("main", demo.me, True),
        ("work", demo.second, False),
    ]
    assert work is not None
    assert work.user_id == demo.second
    assert "you already have 2 Telegram accounts here, the most this server allows" in screen.getvalue()
    assert calls == []  # refused before Telegram was asked for a code


def test_the_login_command_refuses_a_label_that_is_not_one(settings: Settings) -> None:
    out = io.StringIO()
    status = login_command(settings, phone=None, qr=True, label="no spaces!", out=out)
    assert status == 2
    assert out.getvalue().startswith("mctltg: --label must be 1-16 letters")
