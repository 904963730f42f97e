"""The public pages: ``/`` (what this is and how to connect it), ``/docs`` (the tool
catalogue, generated from the live registry), ``/security`` and ``/privacy``.

They are what a person adding the connector and an app reviewer read, so every fact
on them comes from this deployment: its URLs, its auth mode, whether sending is
allowed at all, its rate limit and session lifetimes. A server that Claude.ai and ChatGPT
cannot reach (the demo: plain HTTP on loopback) says so and how to expose one, rather
than walking the person through steps that cannot work. Nothing personal is shown, so
they may be cached briefly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from quart import Blueprint, Response, request

from mctltg.config import Settings, is_loopback_host
from mctltg.web.context import CONNECT_PATH, MANAGE_PATH, WebDeps, page
from mctltg.web.headers import PUBLIC_CACHE
from mctltg.web.tool_docs import tool_docs

__all__ = ["SiteFacts", "pages_blueprint", "site_facts"]

_DAY: Final = 86400.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteFacts:
    """The deployment's own facts the public pages state."""

    base_url: str
    mcp_url: str
    operator_mode: bool
    sandbox: bool
    allow_send: bool
    allow_mark_read: bool
    send_rate_limit_per_hour: int
    idle_expiry_days: int | None
    absolute_expiry_days: int | None
    device_name: str
    read_only_filter: bool
    connect_url: str
    manage_url: str
    reachable: bool
    """Claude.ai and ChatGPT connect from the internet over HTTPS: only then can they use it."""


def _reachable(base_url: str) -> bool:
    parts = urlsplit(base_url)
    return parts.scheme == "https" and not is_loopback_host(parts.hostname or "localhost")


def _days(seconds: float | None) -> int | None:
    return None if seconds is None else max(1, round(seconds / _DAY))


def site_facts(settings: Settings) -> SiteFacts:
    return SiteFacts(
        base_url=settings.public_base_url,
        mcp_url=settings.mcp_url,
        operator_mode=settings.operator_mode,
        sandbox=settings.telegram_sandbox,
        allow_send=settings.allow_send,
        allow_mark_read=settings.allow_mark_read,
        send_rate_limit_per_hour=settings.send_rate_limit_per_hour,
        idle_expiry_days=_days(settings.session_idle_expiry),
        absolute_expiry_days=_days(settings.session_absolute_expiry),
        device_name=settings.device_name,
        read_only_filter=settings.tool_filter == "read-only",
        connect_url=settings.public_base_url + CONNECT_PATH,
        manage_url=settings.public_base_url + MANAGE_PATH,
        reachable=_reachable(settings.public_base_url),
    )


def here(facts: SiteFacts) -> SiteFacts:
    """``facts`` for this request: a server bound to port 0 (tests, ``demo --port 0``) has no
    public URL of its own, so the address the browser used stands in for it."""
    if urlsplit(facts.base_url).port != 0:
        return facts
    base = request.host_url.rstrip("/")
    return dataclasses.replace(
        facts,
        base_url=base,
        mcp_url=base + "/mcp",
        connect_url=base + CONNECT_PATH,
        manage_url=base + MANAGE_PATH,
        reachable=_reachable(base),
    )


def timestamp(seconds: float) -> str:
    """Wall-clock seconds as the pages show them: ``2026-01-31 14:05 UTC``."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def pages_blueprint(deps: WebDeps) -> Blueprint:
    blueprint = Blueprint("pages", __name__)
    facts = site_facts(deps.settings)
    blueprint.add_app_template_filter(timestamp, "timestamp")

    @blueprint.get("/")
    async def index() -> Response:
        return await page("index.html", cache=PUBLIC_CACHE, site=here(facts), nav="home")

    @blueprint.get("/docs")
    async def docs() -> Response:
        tools = tool_docs(await deps.list_tools())
        return await page("docs.html", cache=PUBLIC_CACHE, site=here(facts), tools=tools, nav="docs")

    @blueprint.get("/security")
    async def security() -> Response:
        return await page("security.html", cache=PUBLIC_CACHE, site=here(facts), nav="security")

    @blueprint.get("/privacy")
    async def privacy() -> Response:
        return await page("privacy.html", cache=PUBLIC_CACHE, site=here(facts), nav="privacy")

    return blueprint
