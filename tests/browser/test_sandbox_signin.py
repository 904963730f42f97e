"""Trying the real OAuth flow end to end without a Telegram account: ``mctltg serve`` over the
sandbox (a real subprocess), an MCP client's authorization in a headless Chromium, sign-in at a
loopback OIDC provider, the sandbox account connected by its login code shown on the page (or
by "approve in the sandbox" on the QR step), back to the client, and the client lists dialogs
with the token that flow produced.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Route

from mctltg.sandbox import DemoWorld, SandboxWorld, seed_demo_world
from tests.harness.browser import Tab, in_browser, sign_in_at_provider
from tests.harness.inprocess import free_port
from tests.harness.mcp_client import call, over_http
from tests.harness.oauth import pkce_pair, query_of, register
from tests.harness.oidc import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, SIGNING_KEY, start_oidc_provider
from tests.harness.processes import RunningServer, start_serve

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

CLIENT_REDIRECT = "http://127.0.0.1:9/callback"


def sandbox_people() -> DemoWorld:
    """Who is in the world ``mctltg serve`` seeds (the demo world is deterministic)."""
    return seed_demo_world(SandboxWorld())


@asynccontextmanager
async def serve_over_the_sandbox(tmp_path: Path, demo: DemoWorld) -> AsyncIterator[RunningServer]:
    """``mctltg serve`` over the sandbox in local-jwt mode, signing people in at a loopback provider."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    async with start_oidc_provider(base_url + "/oauth/telegram/callback") as issuer:
        settings = {
            "ADDR": f"127.0.0.1:{port}",
            "PUBLIC_BASE_URL": base_url,
            "DATABASE_URL": str(tmp_path / "serve.db"),
            "ENCRYPTION_KEY": secrets.token_hex(32),
            "AUTH_MODE": "local-jwt",
            "AUTH_REQUIRED": "true",
            "OAUTH_JWT_SIGNING_KEY": SIGNING_KEY,
            "TELEGRAM_OIDC_ISSUER": issuer,
            "TELEGRAM_OIDC_CLIENT_ID": OIDC_CLIENT_ID,
            "TELEGRAM_OIDC_CLIENT_SECRET": OIDC_CLIENT_SECRET,
            "OIDC_IDENTITY": "telegram",  # the loopback provider stands in for Telegram's
            "TG_LOGIN_CLIENTS": str(demo.me),
            "TELEGRAM_SANDBOX": "true",
        }
        async with start_serve(settings, base_url=base_url) as server:
            yield server


async def sign_in_connect_and_list_dialogs(tmp_path: Path, test: str, connect: Callable[[Tab], None]) -> None:
    """Authorize a client in the browser, ``connect`` the sandbox account, list dialogs with the token."""
    demo = sandbox_people()
    async with serve_over_the_sandbox(tmp_path, demo) as server, httpx.AsyncClient() as http:
        client_id = await register(http, server.url, CLIENT_REDIRECT)
        verifier, challenge = pkce_pair()
        authorize = f"{server.url}/oauth/authorize?" + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": CLIENT_REDIRECT,
                "state": "client-state",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "resource": server.url + "/mcp",
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
            page.click("button[value=approve]")  # read only, the default
            page.wait_for_selector("#qr-image")
            assert page.text_content("#sandbox-title") == "Sandbox"
            tab.step("qr-with-sandbox-aid")
            connect(tab)
            page.wait_for_selector("text=Your Telegram account is connected")
            tab.step("done")
            page.click("text=Continue to Test client")
            page.wait_for_url(re.compile(r"http://127\.0\.0\.1:9/callback\?.*"))
            return landed[-1]

        params = query_of(await in_browser(test, drive))
        assert (params["state"], params["iss"]) == ("client-state", server.url)
        token = await http.post(
            server.url + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": CLIENT_REDIRECT,
                "client_id": client_id,
                "code_verifier": verifier,
                "resource": server.url + "/mcp",
            },
        )
        assert token.status_code == 200, token.text
        async with over_http(server.url + "/mcp", token.json()["access_token"]) as client:
            listed = await call(client, "list_dialogs", {})
        peers = {dialog["peer"] for dialog in listed["dialogs"]}
        assert {f"chat:{demo.group}", f"channel:{demo.channel}"} <= peers


async def test_a_person_signs_in_over_the_sandbox_and_connects_by_the_code_shown_on_the_page(
    tmp_path: Path,
) -> None:
    phone = sandbox_people().me_phone

    def by_code(tab: Tab) -> None:
        page = tab.page
        page.click("text=Use phone number instead")
        page.wait_for_selector("#phone")
        assert phone in page.inner_text(".sandbox-people")
        tab.step("phone-with-sandbox-people")
        page.fill("#phone", phone)
        page.click("text=Send me a code")
        page.wait_for_selector(".sandbox-code")
        tab.step("code-shown-by-the-sandbox")
        page.fill("#code", page.inner_text(".sandbox-code"))
        page.click("form[action='/telegram/connect/code'] button")

    await sign_in_connect_and_list_dialogs(tmp_path, "sandbox-code", by_code)


async def test_a_person_signs_in_over_the_sandbox_and_connects_by_approving_the_qr_code(
    tmp_path: Path,
) -> None:
    def by_qr(tab: Tab) -> None:
        tab.page.select_option("#sandbox-person", label="Ada Lovelace")
        tab.page.click("text=Approve in the sandbox")

    await sign_in_connect_and_list_dialogs(tmp_path, "sandbox-qr", by_qr)
