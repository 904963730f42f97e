"""One wall clock: a server reads the clock it was built with, in every component that dates or expires."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import trio

from mctltg.app import build_asgi_app, build_oauth, open_services, provision_sandbox_account
from mctltg.clock import SYSTEM_CLOCK
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.sandbox.testing import ManualClock
from tests.harness.inprocess import InProcessServer
from tests.harness.oauth import read_only_token
from tests.harness.settings import OAUTH_MODE, sandbox_settings

BASE = "http://127.0.0.1:8765"


def test_the_system_clock_is_wall_time_in_seconds() -> None:
    before = time.time()
    now = SYSTEM_CLOCK()
    assert before <= now <= time.time()


async def test_rows_a_server_writes_are_dated_by_the_clock_it_was_given(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with open_services(sandbox_settings(tmp_path), world=world, clock=clock) as services:
        with trio.fail_after(30):
            account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
        account = await services.accounts.get(account_id)
        assert account is not None
        identity = await services.identities.get(account.identity_id)
    assert identity is not None
    assert account.created_at == clock.now
    assert identity.created_at == clock.now


async def test_tokens_expire_by_the_server_clock_in_the_issuer_and_over_http(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    clock = ManualClock(time.time())
    settings = sandbox_settings(
        tmp_path, **OAUTH_MODE, ADDR="127.0.0.1:8765", PUBLIC_BASE_URL=BASE, TG_LOGIN_CLIENTS=str(demo.me)
    )
    async with open_services(settings, world=world, clock=clock) as services:
        app = build_asgi_app(services)
        issuer = build_oauth(services).server
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            with trio.fail_after(30):
                issued = await read_only_token(
                    InProcessServer(base_url=BASE, services=services), http, demo.me
                )
                assert await issuer.verify_access(issued.access_token) is not None

                clock.advance(settings.access_token_ttl + 1)
                assert await issuer.verify_access(issued.access_token) is None
                refused = await http.post(
                    BASE + "/mcp",
                    json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                    headers={
                        "Authorization": f"Bearer {issued.access_token}",
                        "Accept": "application/json, text/event-stream",
                    },
                )
                form = {"grant_type": "refresh_token", "client_id": issued.client_id}
                refreshed = await http.post(
                    BASE + "/oauth/token", data={**form, "refresh_token": issued.refresh_token}
                )

                clock.advance(settings.refresh_token_ttl)
                too_late = await http.post(
                    BASE + "/oauth/token", data={**form, "refresh_token": refreshed.json()["refresh_token"]}
                )
    assert refused.status_code == 401
    assert refreshed.status_code == 200, refreshed.text
    assert too_late.status_code == 400
    assert too_late.json()["error"] == "invalid_grant"
    assert "expired" in too_late.json()["error_description"]
