"""The manage page shows names as plain text: no bidi or control characters from a sign-in."""

from __future__ import annotations

from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.site import open_site

MANAGE = "/telegram/connect/manage"


async def test_a_stored_display_name_shows_without_bidi_controls_on_every_page(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        await site.server.services.identities.ensure("operator", display_name="Eve\u202egnp.exe\u2066")
        await site.page("/telegram/signin?next=" + MANAGE)
        manage = await site.page(MANAGE)
    assert "Evegnp.exe" in manage.text
    assert "\u202e" not in manage.text
    assert "\u2066" not in manage.text
