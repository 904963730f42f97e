"""The official MCP Python SDK client signs in through OAuth, calls a tool, and refreshes.

Everything is real: the SDK's ``OAuthClientProvider`` discovers the server (RFC 9728,
RFC 8414), registers (RFC 7591), authorizes with PKCE through a headless browser that
signs in at a loopback OIDC provider and answers the consent page, exchanges the code,
calls ``list_dialogs`` over Streamable HTTP against the sandbox Telegram, and refreshes
its token when it expires.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from mctltg.app import provision_sandbox_account
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.oauth import query_of
from tests.harness.oidc import Browser, start_oauth_server

pytestmark = pytest.mark.slow

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never contacted: the browser stops when it is reached


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None
        self.history: list[OAuthToken] = []

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens
        self.history.append(tokens)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def test_the_python_sdk_client_completes_the_oauth_dance_and_refreshes(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with (
        start_oauth_server(tmp_path, world, TG_LOGIN_CLIENTS=str(demo.me)) as server,
        httpx.AsyncClient() as browser_http,
    ):
        await provision_sandbox_account(server.services, telegram_user_id=demo.me, subject=f"tg:{demo.me}")
        browser = Browser(browser_http)
        landed: list[str] = []

        async def redirect_handler(url: str) -> None:
            landed.append(await browser.authorize(url, telegram_id=demo.me, stop_at=REDIRECT_URI))

        async def callback_handler() -> AuthorizationCodeResult:
            params = query_of(landed[-1])
            return AuthorizationCodeResult(
                code=params["code"], state=params.get("state"), iss=params.get("iss")
            )

        storage = MemoryStorage()
        provider = OAuthClientProvider(
            server.mcp_url,
            OAuthClientMetadata(
                client_name="Python SDK test",
                redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
        )
        async with (
            httpx2.AsyncClient(auth=provider) as mcp_http,
            Client(streamable_http_client(server.mcp_url, http_client=mcp_http)) as client,
        ):
            result = await client.call_tool("list_dialogs", {})
            assert not result.is_error, result
            assert result.structured_content is not None
            assert f"chat:{demo.group}" in {d["peer"] for d in result.structured_content["dialogs"]}
            assert storage.client is not None
            assert storage.client.client_name == "Python SDK test"
            first = storage.tokens
            assert first is not None
            assert first.refresh_token
            assert "telegram:dialogs:read" in (first.scope or "").split()
            assert "admin:users" not in (first.scope or "").split()  # a client tier, not an admin

            provider.context.token_expiry_time = time.time() - 1  # the access token "expired"
            again = await client.call_tool("list_dialogs", {"limit": 1})
            assert not again.is_error, again
            refreshed = storage.tokens
            assert refreshed is not None
            assert refreshed is not first
            assert refreshed.refresh_token
            assert refreshed.refresh_token != first.refresh_token
            assert refreshed.access_token != first.access_token
        assert len(landed) == 1  # one sign-in; the refresh needed no browser
