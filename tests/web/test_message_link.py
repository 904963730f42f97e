"""``/telegram/message/<peer>/<id>``, the URL ``fetch`` cites for a message without a public link."""

from __future__ import annotations

import trio

from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.web.message_link import telegram_link
from tests.harness.site import open_site

ADDRESS = "/telegram/message/user:4242/17"


async def test_a_message_address_shows_nothing_until_signed_in_then_offers_telegram(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        with trio.fail_after(20):
            anonymous = await site.http.get(ADDRESS)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/telegram/signin?next=/telegram/message/")
        assert "4242" not in anonymous.text
        await site.page("/telegram/signin?next=/")
        shown = await site.page(ADDRESS)
        malformed = await site.page("/telegram/message/nobody/17")
    assert shown.status_code == 200
    assert 'href="tg://openmessage?user_id=4242&amp;message_id=17"' in shown.text
    assert malformed.status_code == 404


def test_a_channel_message_opens_through_its_members_only_t_me_link() -> None:
    assert telegram_link("channel:77", 5) == "https://t.me/c/77/5"
    assert telegram_link("chat:9", 5) == "tg://openmessage?chat_id=9&message_id=5"
    assert telegram_link("@someone", 5) is None
