"""The admin tools over MCP HTTP on the sandbox: scopes first, then each change, then bad input.

One OAuth deployment in this process (real HTTP, Telethon over the sandbox); the demo
person has a connected account, ``ADMIN`` is an operator listed in ``TG_LOGIN_ADMINS``.
Tokens are what clients hold after consent (the harness walks sign-in and consent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.storage.worker_tokens import WorkerTokenStore
from tests.harness.inprocess import InProcessServer, serve_provisioned
from tests.harness.mcp_client import ACCEPT
from tests.harness.oauth import REDIRECT, client_token
from tests.harness.settings import OAUTH_MODE

ADMIN = 7001
OTHER_OPERATOR = 7003


@asynccontextmanager
async def deployment(tmp_path: Path, world: SandboxWorld, demo: DemoWorld) -> AsyncIterator[InProcessServer]:
    settings = {
        **OAUTH_MODE,
        "TG_LOGIN_ADMINS": f"{ADMIN},{OTHER_OPERATOR}",
        "TG_LOGIN_CLIENTS": str(demo.me),
        "WORKER_TOKEN_MAX_TTL": "720h",
    }
    async with serve_provisioned(tmp_path, world, demo, **settings) as server:
        yield server


async def token_for(server: InProcessServer, telegram_id: int, *, scope: str | None = None) -> str:
    """An access token a client holds after ``telegram_id`` signed in and consented (read level)."""
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            server.base_url + "/oauth/register",
            json={"client_name": "Admin console", "redirect_uris": [REDIRECT]},
        )
        issued = await client_token(server, http, registered.json()["client_id"], telegram_id, scope=scope)
    return issued.access_token


@asynccontextmanager
async def mcp(server: InProcessServer, token: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
    ):
        yield client


async def result(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    called = await client.call_tool(tool, arguments)
    assert called.structured_content is not None
    return bool(called.is_error), called.structured_content


async def ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    failed, content = await result(client, tool, arguments)
    assert not failed, content
    return content


async def refused(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    failed, content = await result(client, tool, arguments)
    assert failed, content
    return content


async def account_of(server: InProcessServer, subject: str) -> int:
    identity = await server.services.identities.by_subject(subject)
    assert identity is not None
    row = await server.services.accounts.for_identity(identity.id)
    assert row is not None
    return row.id


async def test_admin_tools_refuse_without_their_scope_and_read_only_admins_list_but_cannot_switch(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    person = f"tg:{demo.me}"
    with trio.fail_after(90):
        async with deployment(tmp_path, world, demo) as server:
            account = await account_of(server, person)
            person_token = await token_for(server, demo.me)
            reader_token = await token_for(server, ADMIN, scope="admin:users:read telegram:dialogs:read")
            async with mcp(server, person_token) as client:
                listed_to_person = {t.name for t in (await client.list_tools()).tools}
                as_person = await refused(client, "list_identities", {})
                switch_as_person = await refused(
                    client, "set_account_send", {"identity": person, "account": account, "enabled": True}
                )
            async with mcp(server, reader_token) as client:
                listed_to_reader = {t.name for t in (await client.list_tools()).tools}
                roster = await ok(client, "list_identities", {})
                found = await ok(client, "list_identities", {"query": "tg:" + str(demo.me)[:4]})
                log = await ok(client, "get_user_audit_log", {"identity": person, "limit": 10})
            # the reader's admin tier allows switching, its token does not: the step-up challenge
            async with httpx.AsyncClient() as http:
                switch_as_reader = await http.post(
                    server.mcp_url,
                    headers={**ACCEPT, "Authorization": f"Bearer {reader_token}"},
                    json={
                        "jsonrpc": "2.0",
                        "id": 7,
                        "method": "tools/call",
                        "params": {
                            "name": "set_account_send",
                            "arguments": {"identity": person, "account": account, "enabled": True},
                        },
                    },
                )
            row = await server.services.accounts.get(account)
    assert "list_identities" not in listed_to_person
    assert as_person["error"] == "permission_denied"
    assert as_person["scope"] == "admin:users:read"
    assert switch_as_person["scope"] == "admin:users"
    assert {"list_identities", "get_user_audit_log"} <= listed_to_reader
    assert "set_account_send" in listed_to_reader  # the tier allows it; a call steps up (below)
    people = {entry["identity"]: entry for entry in roster["identities"]}
    assert people[person]["tier"] == "client"
    assert people[f"tg:{ADMIN}"]["tier"] == "admin"
    assert people[person]["accounts"] == [
        {"id": account, "status": "active", "name": people[person]["accounts"][0]["name"], "send": False}
    ]
    assert "last_use" in people[person]
    assert [entry["identity"] for entry in found["identities"]] == [person]
    assert [(e["tool"], e["outcome"]) for e in log["entries"]][:2] == [
        ("set_account_send", "error:permission_denied"),
        ("list_identities", "error:permission_denied"),
    ]
    assert switch_as_reader.status_code == 403
    challenge = switch_as_reader.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert "admin:users " in challenge or 'admin:users"' in challenge
    assert row is not None
    assert not row.send_enabled


async def test_an_admin_switches_someones_sends_and_ends_their_session_at_telegram(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    person = f"tg:{demo.me}"
    with trio.fail_after(90):
        async with deployment(tmp_path, world, demo) as server:
            account = await account_of(server, person)
            admin_token = await token_for(server, ADMIN)
            person_token = await token_for(server, demo.me)
            async with mcp(server, admin_token) as client:
                switched = await ok(
                    client, "set_account_send", {"identity": person, "account": account, "enabled": True}
                )
                stored = await server.services.accounts.get(account)
                mark = world.mark()
                ended = await ok(client, "revoke_telegram_session", {"identity": person, "account": account})
                logout_calls = world.calls_since(mark, user_id=demo.me)
                log = await ok(client, "get_user_audit_log", {"identity": person, "limit": 5})
                again = await refused(
                    client, "revoke_telegram_session", {"identity": person, "account": account}
                )
            async with mcp(server, person_token) as client:
                after = await refused(client, "list_dialogs", {"limit": 3})
            revoked = await server.services.accounts.get(account)
            task = server.services.pool.state(account)
    assert switched == {"identity": person, "account": account, "send_enabled": True, "sandbox": True}
    assert stored is not None
    assert stored.send_enabled
    assert ended["logged_out"] is True
    assert "auth.LogOutRequest" in logout_calls
    assert world.authorizations(demo.me) == []  # the auth key is gone at "Telegram"
    assert revoked is not None
    assert revoked.status == "revoked"
    assert not revoked.has_session
    assert after["error"] == "account_revoked"
    assert task is None  # its pool task was stopped, not left holding the dead key
    assert [e["tool"] for e in log["entries"]][:2] == ["admin:revoke_session", "admin:send_on"]
    assert again["error"] == "invalid_input"  # nothing left to end


async def test_bad_admin_input_is_one_sentence_and_changes_nothing(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    person = f"tg:{demo.me}"
    with trio.fail_after(90):
        async with deployment(tmp_path, world, demo) as server:
            account = await account_of(server, person)
            admin_token = await token_for(server, ADMIN)
            await token_for(server, OTHER_OPERATOR)  # the other operator signs in once
            async with mcp(server, admin_token) as client:
                answers = {
                    "unknown identity": await refused(
                        client,
                        "set_account_send",
                        {"identity": "tg:999", "account": account, "enabled": True},
                    ),
                    "someone else's account": await refused(
                        client,
                        "revoke_telegram_session",
                        {"identity": f"tg:{OTHER_OPERATOR}", "account": account},
                    ),
                    "unknown account": await refused(
                        client, "set_account_send", {"identity": person, "account": 999, "enabled": True}
                    ),
                    "an operator": await refused(
                        client, "revoke_worker_token", {"identity": f"tg:{OTHER_OPERATOR}"}
                    ),
                    "beyond the tier": await refused(
                        client,
                        "mint_worker_token",
                        {"identity": person, "scopes": ["admin:users"], "ttl": "1h", "purpose": "x"},
                    ),
                    "beyond the maximum": await refused(
                        client,
                        "mint_worker_token",
                        {
                            "identity": person,
                            "scopes": ["telegram:dialogs:read"],
                            "ttl": "9000h",
                            "purpose": "x",
                        },
                    ),
                }
                operator_switch = await refused(
                    client,
                    "set_account_send",
                    {"identity": f"tg:{OTHER_OPERATOR}", "account": 1, "enabled": True},
                )
            row = await server.services.accounts.get(account)
            minted = await WorkerTokenStore(server.services.database).listing()
    assert answers["unknown identity"]["error"] == "invalid_input"
    assert "no identity 'tg:999' exists" in answers["unknown identity"]["message"]
    assert answers["someone else's account"]["error"] == "permission_denied"  # an operator, so refused first
    assert answers["unknown account"]["message"].startswith(f"account: {person} has no account 999")
    assert "operator listed in TG_LOGIN_ADMINS" in answers["an operator"]["message"]
    assert "operator listed in TG_LOGIN_ADMINS" in operator_switch["message"]
    assert "does not include admin:users" in answers["beyond the tier"]["message"]
    assert "longer than WORKER_TOKEN_MAX_TTL (30d)" in answers["beyond the maximum"]["message"]
    for answer in answers.values():
        assert answer["message"].count(". ") == 0
        assert "Traceback" not in answer["message"]
    assert row is not None
    assert row.status == "active"
    assert not row.send_enabled
    assert minted == []


async def test_a_worker_token_reads_within_its_scopes_until_revoked_and_each_mint_and_use_is_audited(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    person = f"tg:{demo.me}"
    with trio.fail_after(90):
        async with deployment(tmp_path, world, demo) as server, httpx.AsyncClient() as http:
            admin_token = await token_for(server, ADMIN)
            await token_for(server, demo.me)  # the person signed in once: their tier is proven
            async with mcp(server, admin_token) as client:
                minted = await ok(
                    client,
                    "mint_worker_token",
                    {
                        "identity": person,
                        "scopes": ["telegram:dialogs:read"],
                        "ttl": "12h",
                        "purpose": "canary",
                    },
                )
            async with mcp(server, minted["token"]) as worker:
                dialogs = await ok(worker, "list_dialogs", {"limit": 2})
                beyond = await refused(worker, "get_unread_messages", {"limit": 1})
            async with mcp(server, admin_token) as client:
                log = await ok(client, "get_user_audit_log", {"identity": person, "limit": 10})
                revoked = await ok(client, "revoke_worker_token", {"jti": minted["jti"]})
            after = await http.post(
                server.mcp_url,
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                headers={**ACCEPT, "Authorization": f"Bearer {minted['token']}"},
            )
    assert minted["scopes"] == ["telegram:dialogs:read"]
    assert dialogs["dialogs"]
    assert beyond["error"] == "permission_denied"
    tools = [e["tool"] for e in log["entries"]]
    assert tools.count("worker_token:use") == 1  # one per token per interval, however many calls
    assert "worker_token:mint" in tools
    assert "list_dialogs" in tools
    assert revoked["revoked"] == [minted["jti"]]
    assert after.status_code == 401
