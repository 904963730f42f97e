"""Step-up: a tool the person's tier allows but the token lacks gets 403 ``insufficient_scope``,
the client re-authorizes for it (consent asks only for what is new) and the call then runs.

The end-to-end case is the MCP SDK's own ``OAuthClientProvider`` against the whole ASGI app
in process: it discovers, registers, authorizes (the person signs in and answers the real
consent page over HTTP), is challenged by ``send_message``, steps up and retries.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import trio
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from mctltg.app import build_asgi_app, provision_sandbox_account
from mctltg.oauth.tiers import DEFAULT_SCOPES
from mctltg.sandbox import DemoWorld
from mctltg.web.oauth_endpoints import COOKIE
from tests.harness.mcp_client import ACCEPT
from tests.harness.oauth import BASE, CLIENT_ID, REDIRECT, Harness, mcp_client, query_of, running_lifespan

MCP = BASE + "/mcp"


def _challenge(header: str) -> dict[str, str]:
    assert header.startswith("Bearer ")
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


async def _read_only_token(h: Harness) -> dict[str, Any]:
    issued = await h.exchange(await h.code(allow_send=False))
    assert issued.status_code == 200, issued.text
    return dict(issued.json())


async def _call(h: Harness, token: str, tool: str, arguments: dict[str, Any]) -> httpx2.Response | Any:
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }
    return await h.http.post("/mcp", json=body, headers={**ACCEPT, "Authorization": f"Bearer {token}"})


async def test_a_tool_the_tier_allows_but_the_token_lacks_answers_403_naming_every_scope_needed(
    harness: Harness,
) -> None:
    token = await _read_only_token(harness)
    response = await _call(harness, token["access_token"], "send_message", {"peer": "me", "text": "hi"})
    assert response.status_code == 403
    challenge = _challenge(response.headers["www-authenticate"])
    assert challenge["error"] == "insufficient_scope"
    assert set(challenge["scope"].split()) == {*token["scope"].split(), "telegram:messages:send"}
    assert challenge["resource_metadata"] == BASE + "/.well-known/oauth-protected-resource/mcp"


async def test_a_tool_the_tier_does_not_allow_is_refused_by_the_tool_not_challenged(harness: Harness) -> None:
    token = await _read_only_token(harness)  # a client-tier person: admin:users is beyond their tier
    with trio.fail_after(30):
        async with mcp_client(harness, token["access_token"]) as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
            refused = await client.call_tool("set_telegram_access", {"telegram_id": 5, "tier": "client"})
            covered = await client.call_tool("get_my_send_status", {})
    assert "set_telegram_access" not in listed
    assert refused.is_error
    assert "admin:users" in str(refused.content)
    assert not covered.is_error, covered


async def test_a_call_without_a_token_gets_the_401_not_the_403(harness: Harness) -> None:
    anonymous = await harness.http.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "send_message"}},
        headers=ACCEPT,
    )
    assert anonymous.status_code == 401


async def test_the_401_challenge_asks_for_the_default_tier_never_admin_or_offline_access(
    harness: Harness,
) -> None:
    for token in (None, "not-a-token"):
        response = await harness.mcp(token)
        assert response.status_code == 401
        scope = _challenge(response.headers["www-authenticate"])["scope"].split()
        assert set(scope) == set(DEFAULT_SCOPES)
        assert "admin:users" not in scope
        assert "offline_access" not in scope


class _Storage:
    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


async def test_a_read_only_client_steps_up_through_consent_and_then_sends_a_draft(
    harness: Harness, demo: DemoWorld
) -> None:
    await provision_sandbox_account(harness.services, telegram_user_id=demo.me, subject=f"tg:{CLIENT_ID}")
    server = harness.parts.server
    pages: list[str] = []
    landed: list[str] = []
    choices = iter(["read", "send"])  # first the page's default, then the added scope

    async def redirect_handler(url: str) -> None:
        """The person: signs in as CLIENT_ID, reads the consent page and answers it."""
        params = parse_qs(urlsplit(url).query)
        pending = await server.begin(params)
        authorization = await server.pending(pending.browser_token)
        assert authorization is not None
        await server.signed_in(authorization, telegram_user_id=CLIENT_ID, display_name="Person")
        cookie = {"Cookie": f"{COOKIE}={pending.browser_token}"}
        page = await harness.http.get("/oauth/consent", headers=cookie)
        assert page.status_code == 200, page.text
        pages.append(page.text)
        decided = await harness.http.post(
            "/oauth/consent",
            data={"csrf": authorization.csrf, "decision": "approve", "access": next(choices)},
            headers=cookie,
        )
        assert decided.status_code == 303, decided.text
        landed.append(decided.headers["location"])

    async def callback_handler() -> AuthorizationCodeResult:
        params = query_of(landed[-1])
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    storage = _Storage()
    provider = OAuthClientProvider(
        MCP,
        OAuthClientMetadata(
            client_name="Step-up test",
            redirect_uris=[REDIRECT],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    app = build_asgi_app(harness.services)
    with trio.fail_after(30):
        async with (
            running_lifespan(app),
            httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE, auth=provider) as http,
            Client(streamable_http_client(MCP, http_client=http)) as client,
        ):
            first = storage.tokens
            assert first is not None
            assert "telegram:messages:send" not in first.scope.split()  # read only: the page's default
            listed = {tool.name for tool in (await client.list_tools()).tools}
            assert "send_message" in listed  # the tier allows it, so it is shown

            result = await client.call_tool("send_message", {"peer": "me", "text": "after step-up"})

            assert len(pages) == 2  # the 403 sent the person through consent once more
            assert "telegram:messages:send" in storage.tokens.scope.split()
            assert not result.is_error, result
            assert result.structured_content is not None
            assert result.structured_content["mode"] == "draft"  # the send gate is closed: a preview
            assert result.structured_content["dry_reason_code"] != "scope"
    again = pages[1]
    assert 'id="already-allowed"' in again
    assert 'value="read"' not in again  # read access is not asked for again
    assert re.search(r'value="draft"\s+checked', again)  # least privilege among what is new
