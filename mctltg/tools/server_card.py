"""What this server says about itself, in one place: name, title, description, icons.

``build_mcp_server`` sends it in ``initialize`` (``serverInfo.title``, ``websiteUrl`` and,
since MCP 2025-11-25, ``icons``) and ``mctltg registry-json`` writes it into the MCP
Registry's ``server.json``. The icons are the web pages' own files under ``/static``
(``favicon.svg`` for browsers, a 192 px PNG because clients that draw icons must support
PNG but need not support SVG), so a client shows the picture the pages show.
"""

from __future__ import annotations

from typing import Final

from mcp_types import Icon

__all__ = ["DESCRIPTION", "ICON_PNG", "ICON_SVG", "TITLE", "icons"]

TITLE: Final = "Telegram (mctltg)"
#: At most 100 characters: the MCP Registry's limit.
DESCRIPTION: Final = "Your own Telegram account for AI assistants: read, search and draft; sending is gated."
ICON_PNG: Final = "/static/icon-192.png"
ICON_SVG: Final = "/static/favicon.svg"


def icons(base_url: str) -> list[Icon]:
    """The server's icons as absolute URLs under ``base_url`` (this deployment's public URL)."""
    base = base_url.rstrip("/")
    return [
        Icon(src=base + ICON_PNG, mime_type="image/png", sizes=["192x192"]),
        Icon(src=base + ICON_SVG, mime_type="image/svg+xml", sizes=["any"]),
    ]
