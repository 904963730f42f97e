"""Signing in through a real OIDC provider: the loopback provider, the server, a person's browser.

- ``start_oidc_provider``: panva's certified ``oidc-provider`` (npm) on 127.0.0.1, standing
  in for Telegram's OIDC (``tests/node/oidc-provider.mjs``), or with ``flavour="generic"``
  for any other standard provider (a ``sub`` of any shape, no Telegram id).
- ``start_oauth_server``: the whole mctltg app (Hypercorn, Quart, MCP SDK, sandbox
  Telegram) in ``AUTH_MODE=local-jwt`` on a real loopback port, signing people in there.
- ``Browser``: follows the authorization redirects with a cookie jar, signs in at the
  provider's form and answers the consent form, like a person would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final
from urllib.parse import urljoin

import httpx
import trio

from mctltg.sandbox import SandboxWorld
from tests.harness.inprocess import InProcessServer, free_port, serve_in_process
from tests.harness.processes import start_node
from tests.harness.settings import sandbox_settings
from tests.harness.site import csrf_of

__all__ = ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "Browser", "start_oauth_server", "start_oidc_provider"]

OIDC_CLIENT_ID: Final = "mctltg-test"
OIDC_CLIENT_SECRET: Final = "oidc-client-secret-for-tests-only"
SIGNING_KEY: Final = "test-signing-key-" + "x" * 32


@asynccontextmanager
async def start_oauth_server(
    tmp_path: Path, world: SandboxWorld, *, flavour: str = "telegram", **overrides: str
) -> AsyncIterator[InProcessServer]:
    """The whole server in local-jwt mode, signing people in at a loopback OIDC provider.

    ``flavour="generic"`` makes the provider one that is not Telegram's, and leaves
    ``OIDC_IDENTITY`` at its default (people are named by the provider's ``sub``).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    identity = {"OIDC_IDENTITY": "telegram"} if flavour == "telegram" else {}
    async with start_oidc_provider(base_url + "/oauth/telegram/callback", flavour=flavour) as issuer:
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
            **{**identity, **overrides},
        )
        async with serve_in_process(settings, world) as server:
            yield server


@asynccontextmanager
async def start_oidc_provider(redirect_uri: str, *, flavour: str = "telegram") -> AsyncIterator[str]:
    """The loopback OIDC provider, trusting ``redirect_uri``; yields its issuer URL."""
    async with start_node("oidc-provider.mjs", OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, redirect_uri, flavour) as (
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
        self,
        url: str,
        *,
        telegram_id: int | str,
        stop_at: str,
        decision: str = "approve",
        access: str = "send",
    ) -> str:
        """Follow ``url`` through sign-in and consent; return the URL that starts with ``stop_at``.

        ``telegram_id`` is what the person types at the provider: a Telegram user id, or
        any ``sub`` at a generic provider (empty: they cancel there).
        """
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
                    csrf = csrf_of(response.text)
                    method, data = "POST", {"csrf": csrf, "decision": decision, "access": access}
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
