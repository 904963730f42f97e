"""The manage page and the public pages in a real headless Chromium: send switch,
disconnect and delete with confirmation; every page passes axe-core in light and dark."""

from __future__ import annotations

from pathlib import Path

import pytest

from mctltg.app import provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.browser import Tab, in_browser, sign_in_at_provider
from tests.harness.oidc import start_oauth_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


async def test_manage_turns_sending_on_then_disconnects_then_deletes_after_confirming(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with start_oauth_server(tmp_path, world) as server:
        services = server.services
        account_id = await provision_sandbox_account(
            services, telegram_user_id=demo.me, subject=f"tg:{demo.me}"
        )
        sessions_before = len(world.authorizations(demo.me))

        def drive(tab: Tab) -> None:
            page = tab.page
            page.goto(server.base_url + "/telegram/connect/manage")
            page.click("a.button:has-text('Sign in with Telegram')")
            sign_in_at_provider(tab, demo.me)
            page.wait_for_selector("text=Manage your Telegram connection")
            assert "mctltg tests" in page.inner_text("main")  # the device name Telegram shows
            tab.step("manage")
            page.click("text=Turn sending on")
            page.wait_for_selector("text=Real sends are on: your MCP clients may send messages as you")
            assert "web:send_on" in page.inner_text("table")
            tab.step("sending-on")
            page.click("button:has-text('Disconnect')")
            page.wait_for_selector("text=Disconnected: the session ended at Telegram")
            tab.step("disconnected")
            page.click("text=Delete…")
            page.wait_for_selector("text=Delete your Telegram account from this server?")
            tab.step("delete-confirmation")
            page.click("text=Yes, delete it")
            page.wait_for_selector("text=Deleted: your Telegram account and its sealed session are gone")
            assert "No Telegram account is connected." in page.inner_text("main")
            tab.step("deleted")

        await in_browser("manage", drive)
        assert await services.accounts.get(account_id) is None
        assert len(world.authorizations(demo.me)) == sessions_before - 1  # logged out at Telegram
        identity = await services.identities.by_subject(f"tg:{demo.me}")
        assert identity is not None
        tools = [row.tool for row in await services.audit.page(identity.id, limit=10)]
        assert tools[:3] == ["web:delete", "web:disconnect", "web:send_on"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_public_pages_pass_axe_in_light_and_dark(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, scheme: str
) -> None:
    async with start_oauth_server(tmp_path, world) as server:

        def drive(tab: Tab) -> None:
            tab.page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]  # a Literal in Playwright
            for path, name in (
                ("/", "home"),
                ("/docs", "docs"),
                ("/security", "security"),
                ("/privacy", "privacy"),
            ):
                tab.page.goto(server.base_url + path)
                tab.step(f"{name}-{scheme}")
            tab.page.goto(server.base_url + "/telegram/connect")
            tab.step(f"signin-{scheme}")

        await in_browser(f"pages-{scheme}", drive)
