"""The wizard over the sandbox: its login code on the page, an "approve in the sandbox" button,
and neither of them anywhere when the server talks to real Telegram."""

from __future__ import annotations

import re
from pathlib import Path

from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.web.sandbox_aid import APPROVE_PATH
from tests.harness.settings import sandbox_settings
from tests.harness.site import csrf_of, login_id_of, open_site
from tests.harness.world import code_for


def _shown_code(html: str) -> str:
    found = re.search(r'data-sandbox-code="(\d+)"', html)
    assert found is not None, html[:3000]
    return found.group(1)


async def test_the_code_step_shows_the_sandboxs_login_code_which_connects_the_account(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        csrf = await site.csrf()
        qr = (await site.post("/telegram/connect/permissions", csrf=csrf, access="read")).text
        assert "Approve in the sandbox" in qr
        assert f'<option value="{demo.me}">Ada Lovelace</option>' in qr
        assert "Grace Hopper</option>" not in qr  # two-step: approving the QR alone cannot log her in
        phone = (await site.page("/telegram/connect/phone")).text
        assert "Sandbox" in phone
        assert f"Ada Lovelace: <code>{demo.me_phone}</code>" in phone
        code_page = (await site.post("/telegram/connect/phone", csrf=csrf, phone=demo.me_phone)).text
        shown = _shown_code(code_page)
        assert shown == code_for(world, demo.me_phone)
        done = await site.post(
            "/telegram/connect/code", csrf=csrf_of(code_page), login_id=login_id_of(code_page), code=shown
        )
        assert "Connected as <strong>Ada Lovelace</strong>" in done.text


async def test_approving_in_the_sandbox_connects_the_account_by_qr(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        csrf = await site.csrf()
        qr = (await site.post("/telegram/connect/permissions", csrf=csrf, access="read")).text
        login_id = login_id_of(qr)
        stale = await site.post(APPROVE_PATH, csrf=csrf, login_id="an-older-login", user_id=str(demo.me))
        assert "Scan the QR code" in stale.text  # a form from an older page changes nothing
        done = await site.post(APPROVE_PATH, csrf=csrf, login_id=login_id, user_id=str(demo.me))
        assert "Connected as <strong>Ada Lovelace</strong>" in done.text
        row = await site.server.services.accounts.for_identity(
            (await site.server.services.identities.ensure("operator")).id
        )
        assert row is not None
        assert (row.status, row.telegram_user_id) == ("active", demo.me)


async def test_without_the_sandbox_its_aid_has_no_route_and_no_word_on_the_pages(
    tmp_path: Path, world: SandboxWorld
) -> None:
    real = sandbox_settings(tmp_path, TELEGRAM_SANDBOX="false", TG_API_ID="1", TG_API_HASH="not-a-real-hash")
    async with open_site(real, world) as site:
        page = await site.page("/telegram/connect")
        assert "Choose what is allowed" in page.text
        assert "Sandbox" not in page.text
        csrf = csrf_of(page.text)
        refused = await site.http.post(APPROVE_PATH, data={"csrf": csrf, "login_id": "x", "user_id": "1001"})
        assert refused.status_code == 404
