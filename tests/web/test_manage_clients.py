"""The manage page lists who holds tokens for the person, and its revoke buttons end that access.

An OAuth deployment over real HTTP: the person holds tokens from two MCP clients (and
another person from one of them), signs in to the manage page the way the OAuth detour
does, and revokes one client. Its token is refused at /mcp at once; the other client's
token, and the other person's token from the same client, keep working.
"""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path

import httpx
import trio

from mctltg.app import build_oauth
from mctltg.oauth.rfc7636 import s256
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.web.oauth_endpoints import COOKIE as AUTHORIZATION_COOKIE
from mctltg.web.signin import HANDOFF_PATH
from tests.harness.inprocess import InProcessServer, serve_provisioned
from tests.harness.mcp_client import ACCEPT, INITIALIZE
from tests.harness.oauth import REDIRECT, client_token, register
from tests.harness.settings import OAUTH_MODE
from tests.harness.site import csrf_of

MANAGE = "/telegram/connect/manage"
OTHER_PERSON = 7002


async def token(server: InProcessServer, http: httpx.AsyncClient, client_id: str, telegram_id: int) -> str:
    return (await client_token(server, http, client_id, telegram_id)).access_token


async def sign_in_to_manage(
    server: InProcessServer, http: httpx.AsyncClient, client_id: str, telegram_id: int
) -> None:
    """The OAuth detour's way onto the pages: an approved authorization hands its browser a session."""
    oauth = build_oauth(server.services).server
    params = {
        "response_type": ["code"],
        "client_id": [client_id],
        "redirect_uri": [REDIRECT],
        "code_challenge": [s256(secrets.token_urlsafe(48))],
        "code_challenge_method": ["S256"],
    }
    pending = await oauth.begin(params)
    authorization = await oauth.pending(pending.browser_token)
    assert authorization is not None
    await oauth.signed_in(authorization, telegram_user_id=telegram_id, display_name="Ada")
    authorization = await oauth.pending(pending.browser_token)
    assert authorization is not None
    await oauth.approve(authorization, level="read")
    http.cookies.set(AUTHORIZATION_COOKIE, pending.browser_token, path="/oauth")
    handed = await http.get(HANDOFF_PATH)
    assert handed.status_code == 200, handed.text  # the connect page, signed in


async def mcp_status(http: httpx.AsyncClient, access_token: str) -> int:
    answer = await http.post(
        "/mcp", json=INITIALIZE, headers={**ACCEPT, "Authorization": f"Bearer {access_token}"}
    )
    return answer.status_code


def client_rows(html: str) -> list[str]:
    section = html.split('id="clients-heading"', 1)[1].split("</section>", 1)[0]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)
    ]


async def test_the_manage_page_lists_the_clients_holding_tokens_and_revoking_one_ends_its_access(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = {**OAUTH_MODE, "TG_LOGIN_CLIENTS": f"{demo.me},{OTHER_PERSON}"}
    with trio.fail_after(90):
        async with (
            serve_provisioned(tmp_path, world, demo, **settings) as server,
            httpx.AsyncClient(base_url=server.base_url, follow_redirects=True) as http,
        ):
            desktop = await register(http, server.base_url, REDIRECT, client_name="Claude Desktop")
            editor = await register(http, server.base_url, REDIRECT, client_name="Editor")
            desktop_token = await token(server, http, desktop, demo.me)
            editor_token = await token(server, http, editor, demo.me)
            other_person_token = await token(server, http, desktop, OTHER_PERSON)
            await sign_in_to_manage(server, http, desktop, demo.me)
            before = await http.get(MANAGE)
            forged = await http.post(
                MANAGE + "/clients/revoke", data={"csrf": "not-the-token", "client_id": desktop}
            )
            still_there = await mcp_status(http, desktop_token)
            revoked = await http.post(
                MANAGE + "/clients/revoke", data={"csrf": csrf_of(before.text), "client_id": desktop}
            )
            after_revoke = [
                await mcp_status(http, desktop_token),
                await mcp_status(http, editor_token),
                await mcp_status(http, other_person_token),
            ]
    rows = client_rows(before.text)
    assert any(row.startswith("Claude Desktop 127.0.0.1 no") for row in rows), rows
    assert "/telegram/connect/manage/clients/revoke" in before.text
    assert "That form expired" in forged.text
    assert still_there == 200
    assert "Revoked: the client's tokens for you stop working" in html.unescape(revoked.text)
    remaining = client_rows(revoked.text)
    assert not any(row.startswith("Claude Desktop") for row in remaining)
    assert any(row.startswith("Editor 127.0.0.1") for row in remaining)
    # this person's token from that client is refused; their other client and the other person are not
    assert after_revoke == [401, 200, 200]


async def test_the_manage_page_shows_worker_tokens_minted_for_the_person_and_revokes_one(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = {**OAUTH_MODE, "TG_LOGIN_CLIENTS": str(demo.me)}
    with trio.fail_after(90):
        async with (
            serve_provisioned(tmp_path, world, demo, **settings) as server,
            httpx.AsyncClient(base_url=server.base_url, follow_redirects=True) as http,
        ):
            desktop = await register(http, server.base_url, REDIRECT, client_name="Claude Desktop")
            await sign_in_to_manage(server, http, desktop, demo.me)
            workers = build_oauth(server.services).server.workers
            assert workers is not None
            person = await workers.identity(f"tg:{demo.me}")
            minted = await workers.mint(
                person, scopes=["telegram:dialogs:read"], ttl="1h", purpose="nightly canary", created_by=None
            )
            before = await http.get(MANAGE)
            revoked = await http.post(
                MANAGE + "/workers/revoke", data={"csrf": csrf_of(before.text), "jti": minted.row.jti}
            )
            refused = await mcp_status(http, minted.token)
            rows = await workers.listing(person.id)
    assert "nightly canary" in before.text
    assert f'name="jti" value="{minted.row.jti}"' in before.text
    assert "Revoked: that worker token no longer works." in revoked.text
    assert "nightly canary" not in revoked.text
    assert refused == 401
    assert [row.revoked_at is not None for row in rows] == [True]
