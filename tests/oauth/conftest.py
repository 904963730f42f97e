"""An authorization server over a real database and the whole ASGI app, in process.

The OIDC leg is not contacted here (the e2e tests cover it with a real provider);
codes are issued by walking the server's own steps: begin → signed in → approve → finish.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mctltg.app import OAuthParts, Services, build_asgi_app, build_oauth, open_services
from mctltg.config import Settings
from mctltg.oauth.rfc7636 import s256
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.conftest import sandbox_settings
from tests.e2e.oauth_support import query_of

BASE = "http://127.0.0.1:8765"
REDIRECT = "http://127.0.0.1:9/callback"
VERIFIER = "v" * 43 + "-verifier-for-tests"
ADMIN_ID = 7001
CLIENT_ID = 7002


@dataclass
class FakeClock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    services: Services
    parts: OAuthParts
    http: httpx.AsyncClient
    clock: FakeClock
    client_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    async def code(
        self,
        *,
        telegram_id: int = CLIENT_ID,
        scope: str | None = None,
        allow_send: bool = True,
        resource: str | None = None,
        verifier: str = VERIFIER,
    ) -> str:
        server = self.parts.server
        params = {
            "response_type": ["code"],
            "client_id": [self.client_id],
            "redirect_uri": [REDIRECT],
            "state": ["s"],
            "code_challenge": [s256(verifier)],
            "code_challenge_method": ["S256"],
        }
        if scope is not None:
            params["scope"] = [scope]
        if resource is not None:
            params["resource"] = [resource]
        pending = await server.begin(params)
        authorization = await server.pending(pending.browser_token)
        assert authorization is not None
        await server.signed_in(authorization, telegram_user_id=telegram_id, display_name="Test")
        authorization = await server.pending(pending.browser_token)
        assert authorization is not None
        await server.approve(authorization, level="send" if allow_send else "read")
        authorization = await server.pending(pending.browser_token)
        assert authorization is not None
        return query_of(await server.finish(authorization))["code"]

    async def exchange(
        self, code: str, *, verifier: str = VERIFIER, redirect_uri: str = REDIRECT, **extra: str
    ) -> httpx.Response:
        return await self.http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
                "client_id": self.client_id,
                **extra,
            },
        )

    async def refresh(self, token: str, **extra: str) -> httpx.Response:
        return await self.http.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": token,
                "client_id": self.client_id,
                **extra,
            },
        )

    async def mcp(self, token: str | None) -> httpx.Response:
        headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        return await self.http.post("/mcp", json=body, headers=headers)


def oauth_settings(tmp_path: Path, **overrides: str) -> Settings:
    return sandbox_settings(
        tmp_path,
        ADDR="127.0.0.1:8765",
        PUBLIC_BASE_URL=BASE,
        AUTH_MODE="local-jwt",
        AUTH_REQUIRED="true",
        OAUTH_JWT_SIGNING_KEY="k" * 40,
        TELEGRAM_OIDC_ISSUER="http://127.0.0.1:9",
        TELEGRAM_OIDC_CLIENT_ID="x",
        TELEGRAM_OIDC_CLIENT_SECRET="y",
        TG_LOGIN_ADMINS=str(ADMIN_ID),
        TG_LOGIN_CLIENTS=str(CLIENT_ID),
        **overrides,
    )


@pytest.fixture
async def harness(tmp_path: Path, world: SandboxWorld, demo: DemoWorld) -> AsyncIterator[Harness]:
    clock = FakeClock()
    async with open_services(oauth_settings(tmp_path), world=world, clock=clock) as services:
        parts = build_oauth(services)
        app = build_asgi_app(services)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            h = Harness(services=services, parts=parts, http=http, clock=clock)
            h.extra["app"] = app
            registered = await http.post(
                "/oauth/register", json={"client_name": "Harness", "redirect_uris": [REDIRECT]}
            )
            assert registered.status_code == 201, registered.text
            h.client_id = registered.json()["client_id"]
            yield h


@asynccontextmanager
async def running_lifespan(app: Any) -> AsyncIterator[None]:
    """Run an ASGI app's lifespan (the MCP session manager) around the block."""
    to_app_send, to_app_receive = trio.open_memory_channel[dict[str, Any]](4)
    from_app_send, from_app_receive = trio.open_memory_channel[dict[str, Any]](4)

    async def receive() -> dict[str, Any]:
        return await to_app_receive.receive()

    async def send(message: dict[str, Any]) -> None:
        await from_app_send.send(message)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(app, {"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        with trio.fail_after(10):
            await to_app_send.send({"type": "lifespan.startup"})
            assert (await from_app_receive.receive())["type"] == "lifespan.startup.complete"
        yield
        with trio.fail_after(10):
            await to_app_send.send({"type": "lifespan.shutdown"})
            assert (await from_app_receive.receive())["type"] == "lifespan.shutdown.complete"


@asynccontextmanager
async def mcp_client(h: Harness, access_token: str) -> AsyncIterator[Client]:
    """The MCP SDK client over the in-process ASGI app, sending ``access_token``."""
    app = build_asgi_app(h.services)  # a session manager runs once: a fresh app per client
    async with (
        running_lifespan(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app),
            base_url=BASE,
            headers={"Authorization": f"Bearer {access_token}"},
        ) as http,
        Client(streamable_http_client(BASE + "/mcp", http_client=http)) as client,
    ):
        yield client
