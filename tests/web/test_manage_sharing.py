"""The person chooses shared chats on the manage page; assistants then see only those."""

from __future__ import annotations

import re

import httpx
import trio
from mcp import Client

from mctltg.app import provision_sandbox_account
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.site import Site, csrf_of, open_site

SHARING = "/telegram/connect/manage/sharing"


async def _signed_in(site: Site, demo: DemoWorld) -> httpx.Response:
    await provision_sandbox_account(site.server.services, telegram_user_id=demo.me)
    await site.page("/telegram/signin?next=" + SHARING)
    return await site.page(SHARING)


async def _dialogs_seen_by_an_assistant(site: Site) -> set[str]:
    with trio.fail_after(30):
        async with Client(site.server.mcp_url) as client:
            result = await client.call_tool("list_dialogs", {"limit": 200})
    assert result.structured_content is not None
    return {d["peer"] for d in result.structured_content["dialogs"]}


async def test_the_page_lists_every_chat_and_saving_a_choice_is_what_assistants_see(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    group, mary = f"chat:{demo.group}", f"user:{demo.contacts[1]}"
    async with open_site(settings, world) as site:
        shown = await _signed_in(site, demo)
        saved = await site.post(SHARING, csrf=csrf_of(shown.text), mode="only", chat=group)
        seen = await _dialogs_seen_by_an_assistant(site)
        after = await site.page(SHARING)
    assert f'value="{mary}"' in shown.text  # the person sees every chat to choose from
    assert "Saved: assistants now see only what this rule shares." in saved.text
    assert seen == {group}
    assert f'value="{mary}"' in after.text  # and still does after narrowing
    assert re.search(rf'name="chat" value="{group}"[^>]*checked', after.text)


async def test_a_form_without_its_csrf_token_changes_nothing(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        await _signed_in(site, demo)
        refused = await site.post(SHARING, csrf="forged", mode="only", chat=f"chat:{demo.group}")
        seen = await _dialogs_seen_by_an_assistant(site)
    assert "That form expired; nothing changed." in refused.text
    assert f"user:{demo.contacts[1]}" in seen


async def test_the_person_widens_what_an_assistant_narrowed(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    charles, mary = f"user:{demo.contacts[0]}", f"user:{demo.contacts[1]}"
    async with open_site(settings, world) as site:
        shown = await _signed_in(site, demo)
        with trio.fail_after(30):
            async with Client(site.server.mcp_url) as client:
                await client.call_tool("set_shared_chats", {"chats": [charles]})
                widened = await client.call_tool("set_shared_chats", {"chats": [charles, mary]})
        await site.post(SHARING, csrf=csrf_of(shown.text), mode="everything", exclude=charles)
        seen = await _dialogs_seen_by_an_assistant(site)
    assert widened.is_error
    assert mary in seen
    assert charles not in seen


async def test_a_search_keeps_chats_chosen_earlier_that_it_does_not_show(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    group, mary = f"chat:{demo.group}", f"user:{demo.contacts[1]}"
    async with open_site(settings, world) as site:
        shown = await _signed_in(site, demo)
        await site.post(SHARING, csrf=csrf_of(shown.text), mode="only", chat=group)
        found = await site.page(SHARING + "?q=Mary")
    assert f'value="{mary}"' in found.text
    assert f'type="checkbox" name="chat" value="{group}"' not in found.text
    assert f'<input type="hidden" name="chat" value="{group}">' in found.text


async def test_without_a_session_the_page_asks_to_sign_in_and_a_post_changes_nothing(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        await provision_sandbox_account(site.server.services, telegram_user_id=demo.me)
        with trio.fail_after(20):
            shown = await site.http.get(SHARING)
            posted = await site.http.post(SHARING, data={"mode": "only", "chat": f"chat:{demo.group}"})
        seen = await _dialogs_seen_by_an_assistant(site)
    assert shown.status_code == 303
    assert shown.headers["Location"] == "/telegram/signin?next=" + SHARING
    assert posted.status_code == 303
    assert posted.headers["Location"].startswith("/telegram/signin")
    assert f"user:{demo.contacts[1]}" in seen


async def test_each_account_has_its_own_rule_chosen_on_its_own_page(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        await _signed_in(site, demo)
        work = await provision_sandbox_account(
            site.server.services, telegram_user_id=demo.second, label="work"
        )
        with trio.fail_after(30):
            async with Client(site.server.mcp_url) as client:
                listed = await client.call_tool("list_dialogs", {"account": "work"})
        assert listed.structured_content is not None
        work_chats = [d["peer"] for d in listed.structured_content["dialogs"]]
        page = await site.page(f"{SHARING}?account={work}")
        saved = await site.post(
            SHARING, csrf=csrf_of(page.text), mode="only", chat=work_chats[0], account=str(work)
        )
        main_seen = await _dialogs_seen_by_an_assistant(site)
        with trio.fail_after(30):
            async with Client(site.server.mcp_url) as client:
                narrowed = await client.call_tool("list_dialogs", {"account": "work"})
    assert "Account “work”" in page.text
    assert "Saved: assistants now see only what this rule shares." in saved.text
    assert narrowed.structured_content is not None
    assert [d["peer"] for d in narrowed.structured_content["dialogs"]] == [work_chats[0]]
    assert len(main_seen) > 1  # the default account's rule did not change


async def test_another_persons_or_an_unknown_account_shows_no_sharing_page(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        await _signed_in(site, demo)
        unknown = await site.page(f"{SHARING}?account=999999")
    assert "Chats you share with assistants" not in unknown.text
