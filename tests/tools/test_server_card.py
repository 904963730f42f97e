"""The server's icon: offered in ``initialize`` (MCP 2025-11-25 ``serverInfo.icons``) and on every page."""

from __future__ import annotations

from pathlib import Path

import httpx
import trio
from mcp import Client

from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.tools.server_card import DESCRIPTION, TITLE
from tests.harness.inprocess import serve_provisioned


async def test_initialize_offers_icons_that_the_server_itself_serves_and_the_pages_link(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with serve_provisioned(tmp_path, world, demo, provision=False) as server:
        with trio.fail_after(60):
            async with Client(server.mcp_url) as client:
                info = client.server_info
            assert info is not None
            async with httpx.AsyncClient() as http:
                fetched = [await http.get(icon.src) for icon in info.icons or []]
                home = await http.get(server.base_url + "/")
    assert (info.title, info.description, info.website_url) == (TITLE, DESCRIPTION, server.base_url)
    assert [(i.mime_type, i.sizes) for i in info.icons or []] == [
        ("image/png", ["192x192"]),
        ("image/svg+xml", ["any"]),
    ]
    assert [r.status_code for r in fetched] == [200, 200]
    assert fetched[0].content.startswith(b"\x89PNG\r\n\x1a\n")
    assert fetched[0].headers["content-type"] == "image/png"
    assert fetched[1].headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in fetched[1].content
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home.text
    assert '<link rel="icon" href="/static/icon-192.png" type="image/png" sizes="192x192">' in home.text
