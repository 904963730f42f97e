"""Capability links: one file of one connection, expiring, capped, dead once the connection ends."""

from __future__ import annotations

import pytest
import trio

from mctltg.accounts import LinkGone, MediaLinks, disconnect_account
from mctltg.accounts.media_links import MAX_LINKS_PER_ACCOUNT, MEDIA_PATH
from mctltg.app import Services, provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.sandbox.testing import ManualClock
from mctltg.telegram import MediaFile, PeerRef

BASE = "https://mctltg.example"
PDF = MediaFile(document_id=1, size=48_213, mime_type="application/pdf", file_name="notes.pdf")
PEER = PeerRef(kind="user", id=5)


async def _linked(services: Services, demo: DemoWorld, clock: ManualClock) -> tuple[MediaLinks, int]:
    with trio.fail_after(30):
        await provision_sandbox_account(services, telegram_user_id=demo.me)
    identity = await services.directory.operator()
    return MediaLinks(services.directory, base_url=BASE, ttl=600, clock=clock), identity.id


def _token(url: str) -> str:
    assert url.startswith(BASE + MEDIA_PATH + "/")
    return url.rsplit("/", 1)[1]


async def test_a_link_is_a_long_random_url_on_this_server_that_finds_its_file(
    services: Services, demo: DemoWorld
) -> None:
    links, identity_id = await _linked(services, demo, ManualClock())
    first = await links.mint(identity_id, PEER, 42, PDF)
    second = await links.mint(identity_id, PEER, 42, PDF)
    assert first.url != second.url
    assert len(_token(first.url)) >= 43  # 32 random bytes, base64url: at least 256 bits
    found = links.find(_token(first.url))
    assert (found.peer, found.message_id, found.file) == (PEER, 42, PDF)


async def test_a_link_stops_working_when_its_time_is_up(services: Services, demo: DemoWorld) -> None:
    clock = ManualClock()
    links, identity_id = await _linked(services, demo, clock)
    minted = await links.mint(identity_id, PEER, 42, PDF)
    assert minted.expires_at == clock.now + 600
    clock.advance(599)
    links.find(_token(minted.url))
    clock.advance(1)
    with pytest.raises(LinkGone):
        links.find(_token(minted.url))


async def test_an_unknown_token_and_an_expired_one_look_the_same(services: Services, demo: DemoWorld) -> None:
    clock = ManualClock()
    links, identity_id = await _linked(services, demo, clock)
    minted = await links.mint(identity_id, PEER, 42, PDF)
    clock.advance(600)
    with pytest.raises(LinkGone) as expired:
        links.find(_token(minted.url))
    with pytest.raises(LinkGone) as unknown:
        links.find("not-a-token")
    assert str(expired.value) == str(unknown.value)


async def test_a_disconnect_kills_the_accounts_links_before_any_telegram_call(
    services: Services, demo: DemoWorld, world: SandboxWorld
) -> None:
    links, identity_id = await _linked(services, demo, ManualClock())
    minted = await links.mint(identity_id, PEER, 42, PDF)
    await disconnect_account(services.directory, identity_id)
    mark = world.mark()
    with pytest.raises(LinkGone), trio.fail_after(10):
        async with links.download(_token(minted.url)):
            pass
    assert world.calls_since(mark) == []


async def test_a_reconnected_account_does_not_revive_links_of_its_old_connection(
    services: Services, demo: DemoWorld
) -> None:
    clock = ManualClock()
    links, identity_id = await _linked(services, demo, clock)
    minted = await links.mint(identity_id, PEER, 42, PDF)
    await disconnect_account(services.directory, identity_id)
    with trio.fail_after(30):
        await provision_sandbox_account(services, telegram_user_id=demo.me)
    with pytest.raises(LinkGone), trio.fail_after(10):
        async with links.download(_token(minted.url)):
            pass


async def test_an_account_holds_a_bounded_number_of_links_and_the_oldest_go_first(
    services: Services, demo: DemoWorld
) -> None:
    links, identity_id = await _linked(services, demo, ManualClock())
    oldest = await links.mint(identity_id, PEER, 1, PDF)
    for message_id in range(2, MAX_LINKS_PER_ACCOUNT + 2):
        newest = await links.mint(identity_id, PEER, message_id, PDF)
    assert len(links) == MAX_LINKS_PER_ACCOUNT
    with pytest.raises(LinkGone):
        links.find(_token(oldest.url))
    assert links.find(_token(newest.url)).message_id == MAX_LINKS_PER_ACCOUNT + 1
