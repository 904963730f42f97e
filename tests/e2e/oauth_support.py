"""Real parts for OAuth end-to-end tests: a loopback OIDC provider, the server, a headless browser.

- ``start_oidc_provider``: panva's certified ``oidc-provider`` (npm) on 127.0.0.1, standing
  in for Telegram's OIDC (``tests/node/oidc-provider.mjs``).
- ``start_oauth_server``: the whole mctltg app (Hypercorn, Quart, MCP SDK, sandbox
  Telegram) in ``AUTH_MODE=local-jwt`` on a real loopback port.
- ``Browser``: follows the authorization redirects with a cookie jar, signs in at the
  provider's form and answers the consent form, like a person would.
"""

from __future__ import annotations

import random
import re
import secrets
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import trio

from mctltg.app import Services
from mctltg.sandbox import SandboxWorld
from tests.conftest import sandbox_settings
from tests.e2e.inprocess import serve_in_process

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
NODE = NODE_DIR / "node_modules" / ".bin" / "node"
OIDC_CLIENT_ID = "mctltg-test"
OIDC_CLIENT_SECRET = "oidc-client-secret-for-tests-only"
SIGNING_KEY = "test-signing-key-" + "x" * 32


def free_port() -> int:
    """A free loopback port for a server whose URL must be known before it binds.

    Drawn at random below the kernel's ephemeral range (32768+): a port the kernel hands
    out for ``bind(0)`` or an outgoing connection in a parallel test can then never
    collide with it between this check and the server's bind.
    """
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free loopback port between 20000 and 32000")


def node_binary() -> str:
    if not NODE.exists():
        raise AssertionError(f"{NODE} is missing: run scripts/install-node (scripts/test does) first")
    return str(NODE)


@asynccontextmanager
async def start_node(script: str, *args: str, ready: str = "READY ") -> AsyncIterator[tuple[str, list[str]]]:
    """Run a node script from tests/node; yield the rest of its first ``ready`` line and its output."""
    process = await trio.lowlevel.open_process(
        [node_binary(), str(NODE_DIR / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=NODE_DIR,
    )
    output: list[str] = []
    try:
        assert process.stdout is not None
        buffer = ""
        with trio.fail_after(30):
            while ready not in buffer:
                chunk = await process.stdout.receive_some(65536)
                if not chunk:
                    raise AssertionError(f"{script} exited early: {buffer}")
                buffer += chunk.decode(errors="replace")
        output.append(buffer)
        line = next(line for line in buffer.splitlines() if line.startswith(ready))
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_drain, process.stdout, output)
            yield line.removeprefix(ready).strip(), output
            nursery.cancel_scope.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
        with trio.move_on_after(5):
            await process.wait()
        if process.returncode is None:
            process.kill()


async def _drain(stream: trio.abc.ReceiveStream, output: list[str]) -> None:
    while chunk := await stream.receive_some(65536):
        output.append(chunk.decode(errors="replace"))


@dataclass(frozen=True, slots=True)
class OAuthServer:
    base_url: str
    services: Services

    @property
    def mcp_url(self) -> str:
        return self.base_url + "/mcp"


@asynccontextmanager
async def start_oauth_server(
    tmp_path: Path, world: SandboxWorld, **overrides: str
) -> AsyncIterator[OAuthServer]:
    """The whole server in local-jwt mode, signing people in at a loopback OIDC provider."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    async with start_oidc_provider(base_url + "/oauth/telegram/callback") as issuer:
        settings = sandbox_settings(
            tmp_path,
            ADDR=f"127.0.0.1:{port}",
            PUBLIC_BASE_URL=base_url,
            AUTH_MODE="local-jwt",
            AUTH_REQUIRED="true",
            OAUTH_JWT_SIGNING_KEY=SIGNING_KEY,
            TELEGRAM_OIDC_ISSUER=issuer,
            TELEGRAM_OIDC_CLIENT_ID=OIDC_CLIENT_ID,
            TELEGRAM_OIDC_CLIENT_SECRET=OIDC_CLIENT_SECRET,
            **overrides,
        )
        async with serve_in_process(settings, world) as server:
            yield OAuthServer(base_url=base_url, services=server.services)


@asynccontextmanager
async def start_oidc_provider(redirect_uri: str) -> AsyncIterator[str]:
    async with start_node("oidc-provider.mjs", OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, redirect_uri) as (
        issuer,
        _,
    ):
        yield issuer


class Browser:
    """A person's browser: a cookie jar that follows redirects and fills the two forms."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.pages: list[tuple[str, int]] = []

    async def authorize(
        self, url: str, *, telegram_id: int, stop_at: str, decision: str = "approve", access: str = "send"
    ) -> str:
        """Follow ``url`` through sign-in and consent; return the URL that starts with ``stop_at``."""
        method, data = "GET", None
        with trio.fail_after(20):
            for _ in range(25):
                response = await self.http.request(method, url, data=data)
                self.pages.append((url, response.status_code))
                method, data = "GET", None
                if response.is_redirect:
                    url = urljoin(url, response.headers["location"])
                    if url.startswith(stop_at):
                        return url
                    continue
                if "/interaction/" in url and response.status_code == 200:
                    method, data = "POST", {"login": str(telegram_id)}
                    continue
                if url.endswith("/oauth/consent") and response.status_code == 200:
                    csrf = re.search(r'name="csrf" value="([^"]+)"', response.text)
                    assert csrf is not None, response.text
                    method, data = "POST", {"csrf": csrf.group(1), "decision": decision, "access": access}
                    continue
                raise AssertionError(f"unexpected page {url} ({response.status_code}): {response.text[:500]}")
        raise AssertionError(f"too many redirects: {self.pages}")

    async def consent_page(self, url: str, *, telegram_id: int) -> str:
        """Follow ``url`` until the consent page and return its HTML."""
        with trio.fail_after(20):
            method, data = "GET", None
            for _ in range(25):
                response = await self.http.request(method, url, data=data)
                method, data = "GET", None
                if response.is_redirect:
                    url = urljoin(url, response.headers["location"])
                    continue
                if "/interaction/" in url:
                    method, data = "POST", {"login": str(telegram_id)}
                    continue
                assert url.endswith("/oauth/consent"), (url, response.status_code, response.text[:300])
                return response.text
        raise AssertionError("never reached the consent page")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def pkce_pair() -> tuple[str, str]:
    from mctltg.oauth.rfc7636 import s256

    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


async def register(http: httpx.AsyncClient, base_url: str, redirect_uri: str, **extra: Any) -> str:
    response = await http.post(
        base_url + "/oauth/register",
        json={"client_name": "Test client", "redirect_uris": [redirect_uri], **extra},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["client_id"])
