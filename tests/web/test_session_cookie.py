"""Ending a browser session ends all of them: a copied cookie stops working too."""

from __future__ import annotations

import httpx
import trio

from mctltg.app import provision_sandbox_account
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.web.session_cookie import COOKIE
from tests.harness.site import Site, csrf_of, open_site

MANAGE = "/telegram/connect/manage"


async def _signed_in_cookie(site: Site) -> str:
    with trio.fail_after(20):
        response = await site.http.get("/telegram/signin?next=" + MANAGE)
    assert response.status_code == 303
    return response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]


async def _manage_with(site: Site, cookie: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=site.server.base_url) as other:
        with trio.fail_after(20):
            return await other.get(MANAGE, headers={"Cookie": f"{COOKIE}={cookie}"})


async def test_signing_out_ends_every_browser_session_of_that_identity(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        copied = await _signed_in_cookie(site)
        assert (await _manage_with(site, copied)).status_code == 200
        csrf = csrf_of((await site.page(MANAGE)).text)
        with trio.fail_after(20):
            await site.http.post("/telegram/signout", data={"csrf": csrf})
        after = await _manage_with(site, copied)
        assert after.status_code == 303
        assert after.headers["location"].startswith("/telegram/signin")
        fresh = await _signed_in_cookie(site)  # signing in again works
        assert (await _manage_with(site, fresh)).status_code == 200


async def test_disconnecting_ends_other_browser_sessions_but_keeps_this_one(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        await provision_sandbox_account(site.server.services, telegram_user_id=demo.me)
        copied = await _signed_in_cookie(site)
        csrf = csrf_of((await site.page(MANAGE)).text)
        with trio.fail_after(20):
            done = await site.post(MANAGE + "/disconnect", csrf=csrf)
        assert done.status_code == 200
        assert (await _manage_with(site, copied)).status_code == 303
        assert (await site.http.get(MANAGE)).status_code == 200  # this browser got a fresh session
