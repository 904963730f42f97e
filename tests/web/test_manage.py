"""The manage page: names as plain text, and each account listed with its own switches."""

from __future__ import annotations

import re

from mctltg.app import provision_sandbox_account
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.site import csrf_of, open_site

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


async def test_the_manage_page_lists_each_account_and_acts_on_the_one_chosen_only(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        services = site.server.services
        main = await provision_sandbox_account(services, telegram_user_id=demo.me)
        work = await provision_sandbox_account(services, telegram_user_id=demo.second, label="work")
        theirs = await provision_sandbox_account(
            services, telegram_user_id=demo.contacts[0], subject="tg:someone-else", send_enabled=True
        )
        listing = (await site.page(MANAGE)).text
        csrf = csrf_of(listing)
        sent_on = await site.post(MANAGE + "/send", csrf=csrf, account=str(work), enabled="on")
        defaulted = await site.post(MANAGE + "/default", csrf=csrf, account=str(work))
        foreign = await site.post(MANAGE + "/disconnect", csrf=csrf, account=str(theirs))
        disconnected = await site.post(MANAGE + "/disconnect", csrf=csrf, account=str(main))
        rows = {
            row.label: row
            for row in await services.accounts.list_for_identity(
                (await services.identities.ensure("operator")).id
            )
        }
        their_row = await services.accounts.get(theirs)

    assert "Account “main”" in listing
    assert "Account “work” <span" not in listing  # the default is marked, not the other
    assert "Ada Lovelace" in listing
    assert "Grace Hopper" in listing
    assert "Make “work” the default" in listing
    assert "Real sends are on" in alert_or_notice(sent_on.text)
    assert "Default changed" in alert_or_notice(defaulted.text)
    assert "There was no Telegram account to change." in alert_or_notice(foreign.text)
    assert "Disconnected: the session ended at Telegram" in alert_or_notice(disconnected.text)
    assert (rows["work"].send_enabled, rows["work"].is_default, rows["work"].status) == (True, True, "active")
    assert (rows["main"].send_enabled, rows["main"].is_default, rows["main"].status) == (
        False,
        False,
        "revoked",
    )
    assert their_row is not None
    assert their_row.status == "active"


def alert_or_notice(html: str) -> str:
    """The page's status notice (the sentence a change leaves)."""
    found = re.search(r'<p class="notice[^"]*"[^>]*>(.*?)</p>', html, re.S)
    assert found is not None, html[:2000]
    return " ".join(found.group(1).split())
