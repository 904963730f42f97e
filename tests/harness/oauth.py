"""The OAuth dance without a browser: clients register, people sign in and consent, codes redeem.

The OIDC leg is not contacted here (the e2e tests walk it with a real provider, see
:mod:`tests.harness.oidc`); codes are issued by walking the authorization server's own
steps, begin → signed in → approve → finish, in :func:`authorization_code`. Two ways
to use it:

- :class:`Harness` (the ``harness`` fixture in ``tests/conftest.py``): an authorization
  server over a real database and the whole ASGI app in process, on a hand-moved clock.
- :func:`read_only_token`: tokens without the send scope from any running server, as a
  client that registers and redeems over HTTP would hold them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mctltg.app import OAuthParts, Services, build_asgi_app, build_oauth, open_services
from mctltg.config import Settings
from mctltg.oauth.rfc7636 import s256
from mctltg.oauth.server import AuthorizationServer
from mctltg.sandbox import SandboxWorld
from mctltg.sandbox.testing import ManualClock
from tests.harness.inprocess import InProcessServer
from tests.harness.mcp_client import ACCEPT
from tests.harness.settings import OAUTH_MODE, sandbox_settings

__all__ = [
    "ADMIN_ID",
    "BASE",
    "CLIENT_ID",
    "REDIRECT",
    "VERIFIER",
    "Harness",
    "Issued",
    "authorization_code",
    "client_token",
    "mcp_client",
    "oauth_settings",
    "open_harness",
    "pkce_pair",
    "query_of",
    "read_only_token",
    "register",
    "running_lifespan",
]

BASE: Final = "http://127.0.0.1:8765"
REDIRECT: Final = "http://127.0.0.1:9/callback"
VERIFIER: Final = "v" * 43 + "-verifier-for-tests"
ADMIN_ID: Final = 7001
CLIENT_ID: Final = 7002


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url``, one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def pkce_pair() -> tuple[str, str]:
    """A fresh PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


async def register(http: httpx.AsyncClient, base_url: str, redirect_uri: str, **extra: Any) -> str:
    """Register a client over HTTP (RFC 7591); its client id."""
    response = await http.post(
        base_url + "/oauth/register",
        json={"client_name": "Test client", "redirect_uris": [redirect_uri], **extra},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["client_id"])


async def authorization_code(
    server: AuthorizationServer,
    client_id: str,
    *,
    telegram_id: int,
    allow_send: bool,
    verifier: str = VERIFIER,
    scope: str | None = None,
    resource: str | None = None,
    display_name: str = "Test",
) -> str:
    """A code for ``client_id``: the person ``telegram_id`` signs in and consents, as the pages do."""
    params = {
        "response_type": ["code"],
        "client_id": [client_id],
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
    await server.signed_in(authorization, telegram_user_id=telegram_id, display_name=display_name)
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    await server.approve(authorization, level="send" if allow_send else "read")
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    return query_of(await server.finish(authorization))["code"]


@dataclass
class Harness:
    """An authorization server over a real database and the ASGI app, with a registered client."""

    services: Services
    parts: OAuthParts
    http: httpx.AsyncClient
    clock: ManualClock
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
        return await authorization_code(
            self.parts.server,
            self.client_id,
            telegram_id=telegram_id,
            allow_send=allow_send,
            verifier=verifier,
            scope=scope,
            resource=resource,
        )

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
        headers = dict(ACCEPT)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        return await self.http.post("/mcp", json=body, headers=headers)


def oauth_settings(tmp_path: Path, **overrides: str) -> Settings:
    """The harness's deployment: its own issuer at :data:`BASE`, one admin, one client person."""
    return sandbox_settings(
        tmp_path,
        **OAUTH_MODE,
        ADDR="127.0.0.1:8765",
        PUBLIC_BASE_URL=BASE,
        TG_LOGIN_ADMINS=str(ADMIN_ID),
        TG_LOGIN_CLIENTS=str(CLIENT_ID),
        **overrides,
    )


@asynccontextmanager
async def open_harness(tmp_path: Path, world: SandboxWorld) -> AsyncIterator[Harness]:
    """A :class:`Harness` whose client (``Harness``) is registered, until the block ends."""
    clock = ManualClock(time.time())
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


@dataclass(frozen=True, slots=True)
class Issued:
    """What a client holds after redeeming its code."""

    access_token: str
    refresh_token: str
    client_id: str
    scope: str = ""


async def client_token(
    served: InProcessServer,
    http: httpx.AsyncClient,
    client_id: str,
    telegram_user_id: int,
    *,
    scope: str | None = None,
    display_name: str = "Test",
) -> Issued:
    """Tokens ``client_id`` holds once ``telegram_user_id`` signed in and consented (read level).

    The code is redeemed over HTTP; the person's sign-in and consent are walked through
    the authorization server's own steps (the OIDC leg is covered by the e2e OAuth tests).
    """
    verifier = secrets.token_urlsafe(48)
    code = await authorization_code(
        build_oauth(served.services).server,
        client_id,
        telegram_id=telegram_user_id,
        allow_send=False,
        verifier=verifier,
        scope=scope,
        display_name=display_name,
    )
    issued = await http.post(
        served.base_url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": client_id,
        },
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    return Issued(
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        client_id=client_id,
        scope=body["scope"],
    )


async def read_only_token(served: InProcessServer, http: httpx.AsyncClient, telegram_user_id: int) -> Issued:
    """Tokens for ``telegram_user_id`` without the send scope, as a newly registered client gets them."""
    registered = await http.post(
        served.base_url + "/oauth/register", json={"client_name": "Canary", "redirect_uris": [REDIRECT]}
    )
    assert registered.status_code == 201, registered.text
    issued = await client_token(
        served, http, registered.json()["client_id"], telegram_user_id, display_name="Canary"
    )
    assert "telegram:messages:send" not in issued.scope.split()
    return issued
