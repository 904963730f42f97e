"""The server's web pages as a browser without JavaScript sees them: plain HTTP with a cookie jar.

:func:`open_site` runs the server in process (operator mode, as ``mctltg demo`` runs,
unless the settings say otherwise) with an HTTP client that keeps cookies and follows
redirects; ``csrf_of``, ``login_id_of`` and ``alert_of`` read the forms and the one
alert a page shows.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import trio

from mctltg.config import Settings
from mctltg.sandbox import SandboxWorld
from tests.harness.inprocess import InProcessServer, serve_in_process

__all__ = ["Site", "alert_of", "csrf_of", "login_id_of", "open_site"]


@dataclass
class Site:
    """A running server and a browser-like HTTP client on it."""

    server: InProcessServer
    http: httpx.AsyncClient

    async def page(self, path: str) -> httpx.Response:
        with trio.fail_after(20):
            return await self.http.get(path, follow_redirects=True)

    async def csrf(self, path: str = "/telegram/connect") -> str:
        return csrf_of((await self.page(path)).text)

    async def post(self, path: str, **data: str) -> httpx.Response:
        """Post a form the way a browser does: the redirect back is followed."""
        with trio.fail_after(30):
            return await self.http.post(path, data=data, follow_redirects=True)


def csrf_of(html: str) -> str:
    """The CSRF token of the (first) form on the page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:2000]
    return found.group(1)


def login_id_of(html: str) -> str:
    """The login id the Telegram connect form carries."""
    found = re.search(r'name="login_id" value="([^"]+)"', html)
    assert found is not None, html[:2000]
    return found.group(1)


def alert_of(html: str) -> str:
    """The text of the page's alert, whitespace collapsed."""
    found = re.search(r'role="alert">(.*?)</p>', html, re.S)
    assert found is not None, html[:3000]
    return " ".join(found.group(1).split())


@asynccontextmanager
async def open_site(settings: Settings, world: SandboxWorld) -> AsyncIterator[Site]:
    """The server over ``world`` and a client for its pages, until the block ends."""
    async with (
        serve_in_process(settings, world) as server,
        httpx.AsyncClient(base_url=server.base_url) as http,
    ):
        yield Site(server=server, http=http)
