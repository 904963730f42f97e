"""Run the whole server in process on a real loopback port (Hypercorn, Quart, MCP SDK, sandbox)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import trio

from mctltg.app import Services, build_oauth, provision_sandbox_account
from mctltg.oauth.rfc7636 import s256
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.conftest import sandbox_settings
from tests.e2e.inprocess import serve_in_process as run_in_process
from tests.e2e.oauth_support import free_port, query_of

REDIRECT = "http://127.0.0.1:9/callback"
#: Settings for an in-process server that is its own OAuth issuer (the OIDC issuer is never contacted).
OAUTH_MODE = {
    "AUTH_MODE": "local-jwt",
    "AUTH_REQUIRED": "true",
    "OAUTH_JWT_SIGNING_KEY": "k" * 40,
    "TELEGRAM_OIDC_ISSUER": "http://127.0.0.1:9",
    "TELEGRAM_OIDC_CLIENT_ID": "x",
    "TELEGRAM_OIDC_CLIENT_SECRET": "y",
}


@dataclass(frozen=True, slots=True)
class Served:
    base_url: str
    services: Services

    @property
    def mcp_url(self) -> str:
        return self.base_url + "/mcp"


@asynccontextmanager
async def serve_in_process(
    tmp_path: Path,
    world: SandboxWorld,
    demo: DemoWorld,
    *,
    provision: bool = True,
    send_enabled: bool = False,
    **overrides: str,
) -> AsyncIterator[Served]:
    """The server over ``world`` (operator mode unless ``overrides`` say otherwise), listening."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    values = {"ADDR": f"127.0.0.1:{port}", "PUBLIC_BASE_URL": base_url, **overrides}
    settings = sandbox_settings(tmp_path, **values)
    async with run_in_process(settings, world) as server:
        services = server.services
        if provision:
            subject = "operator" if settings.operator_mode else f"tg:{demo.me}"
            with trio.fail_after(30):
                await provision_sandbox_account(
                    services, telegram_user_id=demo.me, subject=subject, send_enabled=send_enabled
                )
        yield Served(base_url=base_url, services=services)


@dataclass(frozen=True, slots=True)
class Issued:
    access_token: str
    refresh_token: str
    client_id: str


async def read_only_token(served: Served, http: httpx.AsyncClient, telegram_user_id: int) -> Issued:
    """Tokens for ``telegram_user_id`` without the send scope, as a client would get them.

    The client registers and redeems its code over HTTP; the person's sign-in and consent
    are walked through the authorization server's own steps (the OIDC leg is covered by
    the e2e OAuth tests).
    """
    server = build_oauth(served.services).server
    registered = await http.post(
        served.base_url + "/oauth/register", json={"client_name": "Canary", "redirect_uris": [REDIRECT]}
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    verifier = secrets.token_urlsafe(48)
    pending = await server.begin(
        {
            "response_type": ["code"],
            "client_id": [client_id],
            "redirect_uri": [REDIRECT],
            "state": ["s"],
            "code_challenge": [s256(verifier)],
            "code_challenge_method": ["S256"],
        }
    )
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    await server.signed_in(authorization, telegram_user_id=telegram_user_id, display_name="Canary")
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    await server.approve(authorization, allow_send=False)
    authorization = await server.pending(pending.browser_token)
    assert authorization is not None
    code = query_of(await server.finish(authorization))["code"]
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
    assert "telegram:messages:send" not in body["scope"].split()
    return Issued(access_token=body["access_token"], refresh_token=body["refresh_token"], client_id=client_id)
