"""The connect wizard in a real headless Chromium, against the whole server, the sandbox
Telegram and a loopback OIDC provider: by QR code (from an MCP client's OAuth flow, back
to the client), by phone without and with two-step verification, a wrong code then the
right one, and without JavaScript. Each step is screenshotted and checked with axe-core.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Route

from mctltg.sandbox import DemoWorld, SandboxWorld, seed_demo_world
from tests.harness.browser import Tab, from_trio, in_browser, sign_in_at_provider
from tests.harness.oauth import pkce_pair, query_of, register
from tests.harness.oidc import start_oauth_server
from tests.harness.world import code_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

CLIENT_REDIRECT = "http://127.0.0.1:9/callback"


def qr_token(tab: Tab) -> bytes:
    """The login token in the QR code's ``tg://login?token=…`` link, as a phone would read it."""
    url = tab.page.get_attribute("#qr-image", "data-login-url")
    assert url is not None
    assert url.startswith("tg://login?token=")
    text = url.removeprefix("tg://login?token=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def heading(tab: Tab) -> str:
    return tab.page.inner_text("h1")


async def test_an_mcp_clients_sign_in_runs_through_the_qr_wizard_and_returns_to_the_client(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with (
        start_oauth_server(tmp_path, world, TG_LOGIN_CLIENTS=str(demo.me), ALLOW_SEND="true") as server,
        httpx.AsyncClient() as http,
    ):
        client_id = await register(http, server.base_url, CLIENT_REDIRECT)
        verifier, challenge = pkce_pair()
        authorize = f"{server.base_url}/oauth/authorize?" + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": CLIENT_REDIRECT,
                "state": "client-state",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "resource": server.mcp_url,
            }
        )

        def drive(tab: Tab) -> str:
            page = tab.page
            landed: list[str] = []

            def client_callback(route: Route) -> None:
                landed.append(route.request.url)
                route.fulfill(body="client callback")

            page.route(re.compile(r"http://127\.0\.0\.1:9/.*"), client_callback)
            page.goto(authorize)
            sign_in_at_provider(tab, demo.me)
            page.wait_for_url(re.compile(r".*/oauth/consent$"))
            tab.step("consent")
            page.check("#access-send")
            page.click("button[value=approve]")
            page.wait_for_selector("#qr-image")  # permissions were chosen at consent
            assert heading(tab) == "Scan the QR code"
            tab.step("qr-code")
            token = qr_token(tab)
            from_trio(lambda: world.accept_qr_login(token, user_id=demo.me))
            page.wait_for_selector("text=Your Telegram account is connected")  # told over the WebSocket
            tab.step("done")
            page.click("text=Continue to Test client")
            page.wait_for_url(re.compile(r"http://127\.0\.0\.1:9/callback\?.*"))
            return landed[-1]

        landed = await in_browser("qr-oauth", drive)
        params = query_of(landed)
        assert params["state"] == "client-state"
        token = await http.post(
            server.base_url + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": CLIENT_REDIRECT,
                "client_id": client_id,
                "code_verifier": verifier,
                "resource": server.mcp_url,
            },
        )
        assert token.status_code == 200, token.text
        assert "telegram:messages:send" in token.json()["scope"].split()
        identity = await server.services.identities.by_subject(f"tg:{demo.me}")
        assert identity is not None
        row = await server.services.accounts.for_identity(identity.id)
        assert row is not None
        assert (row.status, row.telegram_user_id, row.send_enabled) == ("active", demo.me, True)


async def test_a_phone_login_without_two_step_verification_connects_read_only(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with start_oauth_server(tmp_path, world, AUTO_APPROVE_CLIENTS="true") as server:

        def drive(tab: Tab) -> None:
            page = tab.page
            page.goto(server.base_url + "/telegram/connect")
            tab.step("sign-in")
            page.click("a.button:has-text('Sign in with Telegram')")
            sign_in_at_provider(tab, demo.me)
            page.wait_for_selector("text=Choose what is allowed")
            tab.step("permissions")
            page.check("#access-read")
            page.click("button:has-text('Continue')")
            page.wait_for_selector("#qr-image")
            page.click("text=Use phone number instead")
            tab.step("phone")
            page.fill("#phone", demo.me_phone)
            page.click("text=Send me a code")
            page.wait_for_selector("text=Enter the login code")
            tab.step("code")
            code = from_trio(lambda: code_for(world, demo.me_phone))
            page.fill("#code", code)
            page.click("button:has-text('Continue')")
            page.wait_for_selector("text=Your Telegram account is connected")
            assert "off (read only)" in page.inner_text("main")
            tab.step("done")

        await in_browser("phone", drive)
        identity = await server.services.identities.by_subject(f"tg:{demo.me}")
        assert identity is not None
        row = await server.services.accounts.for_identity(identity.id)
        assert row is not None
        assert (row.status, row.send_enabled) == ("active", False)


async def test_a_phone_login_with_two_step_verification_asks_for_the_password(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with start_oauth_server(tmp_path, world, AUTO_APPROVE_CLIENTS="true") as server:

        def drive(tab: Tab) -> None:
            page = tab.page
            page.goto(server.base_url + "/telegram/connect/phone")
            page.click("a.button:has-text('Sign in with Telegram')")
            sign_in_at_provider(tab, demo.second)
            page.wait_for_selector("text=Choose what is allowed")
            page.check("#access-send")
            page.click("button:has-text('Continue')")
            page.wait_for_selector("#qr-image")
            page.click("text=Use phone number instead")
            page.fill("#phone", demo.second_phone)
            page.click("text=Send me a code")
            page.wait_for_selector("#code")
            page.fill("#code", from_trio(lambda: code_for(world, demo.second_phone)))
            page.click("button:has-text('Continue')")
            page.wait_for_selector("text=Enter your two-step verification password")
            tab.step("password")
            page.fill("#password", "not the password")
            page.click("button:has-text('Log in')")
            page.wait_for_selector("text=That two-step verification password is not right")
            tab.step("wrong-password")
            page.fill("#password", demo.second_password)
            page.click("button:has-text('Log in')")
            page.wait_for_selector("text=Your Telegram account is connected")
            tab.step("done")

        await in_browser("phone-2fa", drive)
        identity = await server.services.identities.by_subject(f"tg:{demo.second}")
        assert identity is not None
        row = await server.services.accounts.for_identity(identity.id)
        assert row is not None
        assert (row.status, row.telegram_user_id, row.send_enabled) == ("active", demo.second, True)


async def test_a_wrong_code_is_one_sentence_and_the_right_one_then_connects(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with start_oauth_server(tmp_path, world, AUTO_APPROVE_CLIENTS="true") as server:

        def drive(tab: Tab) -> None:
            page = tab.page
            page.goto(server.base_url + "/telegram/connect")
            page.click("a.button:has-text('Sign in with Telegram')")
            sign_in_at_provider(tab, demo.me)
            page.click("button:has-text('Continue')")
            page.click("text=Use phone number instead")
            page.fill("#phone", demo.me_phone)
            page.click("text=Send me a code")
            page.wait_for_selector("#code")
            right = from_trio(lambda: code_for(world, demo.me_phone))
            page.fill("#code", "11111" if right != "11111" else "22222")
            page.click("button:has-text('Continue')")
            alert = page.wait_for_selector("[role=alert]")
            assert alert is not None
            assert alert.inner_text() == (
                "That login code is not right; check the code Telegram sent and enter it again."
                " 2 attempts left."
            )
            tab.step("wrong-code")
            page.go_back()  # the back button shows where the login really is
            page.reload()
            page.wait_for_selector("#code")
            page.fill("#code", right)
            page.click("button:has-text('Continue')")
            page.wait_for_selector("text=Your Telegram account is connected")
            tab.step("done")

        await in_browser("wrong-code", drive)


async def test_the_qr_wizard_works_without_javascript_by_plain_form_posts(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with start_oauth_server(tmp_path, world, AUTO_APPROVE_CLIENTS="true") as server:

        def drive(tab: Tab) -> None:
            page = tab.page
            page.goto(server.base_url + "/telegram/connect")
            page.click("a.button:has-text('Sign in with Telegram')")
            sign_in_at_provider(tab, demo.me)
            page.click("button:has-text('Continue')")
            page.wait_for_selector("#qr-image")
            tab.step("qr-without-javascript")
            token = qr_token(tab)
            from_trio(lambda: world.accept_qr_login(token, user_id=demo.me))
            page.click("text=I scanned it")
            page.wait_for_selector("text=Your Telegram account is connected")
            tab.step("done")

        await in_browser("no-js", drive, javascript=False)


async def test_the_page_shows_a_renewed_qr_code_without_reloading_and_the_renewed_one_works(
    tmp_path: Path,
) -> None:
    offset = [-29.0]  # Telegram's first token is about to expire when issued
    world = SandboxWorld(clock=lambda: time.time() + offset[0])
    demo = seed_demo_world(world)
    async with start_oauth_server(tmp_path, world, AUTO_APPROVE_CLIENTS="true") as server:

        def drive(tab: Tab) -> None:
            page = tab.page
            page.goto(server.base_url + "/telegram/connect")
            page.click("a.button:has-text('Sign in with Telegram')")
            sign_in_at_provider(tab, demo.me)
            page.click("button:has-text('Continue')")
            page.wait_for_selector("#qr-image")
            first = page.get_attribute("#qr-image", "data-login-url")
            page.evaluate("() => { window.stillTheSamePage = true; }")
            offset[0] = 2.0  # the token expired: Telegram issues a new one
            page.wait_for_function(
                "first => document.getElementById('qr-image').dataset.loginUrl !== first", arg=first
            )
            assert page.evaluate("() => window.stillTheSamePage === true")
            assert page.inner_text("#live-status") == "Telegram renewed the code; scan the new one."
            tab.step("qr-renewed")
            token = qr_token(tab)
            from_trio(lambda: world.accept_qr_login(token, user_id=demo.me))
            page.wait_for_selector("text=Your Telegram account is connected")

        await in_browser("qr-renewed", drive)
