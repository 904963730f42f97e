"""The public pages, the tool catalogue, the headers and the session cookie, over real HTTP."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from mctltg.app import provision_sandbox_account, served_tools, tool_deps
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.tools import build_mcp_server
from mctltg.web.session_cookie import COOKIE, SessionCodec
from mctltg.web.signin import safe_next
from tests.harness.settings import sandbox_settings
from tests.harness.site import open_site

PERSONAL = ("/telegram/connect", "/telegram/connect/manage", "/telegram/connect/phone")
PUBLIC = ("/", "/docs", "/security", "/privacy")


def listed_tools(html: str) -> set[str]:
    return set(re.findall(r'data-tool="([^"]+)"', html))


async def test_docs_lists_exactly_the_tools_of_the_live_registry_with_their_scopes(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        html = (await site.page("/docs")).text
        registry = await build_mcp_server(tool_deps(site.server.services)).list_tools()
    assert listed_tools(html) == {tool.name for tool in registry}
    for tool in registry:
        scope = (tool.meta or {}).get("mctltg/scope")
        section = html.split(f'data-tool="{tool.name}"', 1)[1].split("</section>", 1)[0]
        assert (f"<code>{scope}</code>" if scope else "none (any signed-in client)") in section
        assert all(f"<code>{name}</code>" in section for name in tool.input_schema.get("properties", {}))


async def test_docs_of_a_read_only_deployment_list_only_its_read_only_tools(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = sandbox_settings(tmp_path, MCP_TOOL_FILTER="read-only")
    async with open_site(settings, world) as site:
        html = (await site.page("/docs")).text
        registry = await build_mcp_server(tool_deps(site.server.services)).list_tools()
        served = await served_tools(build_mcp_server(tool_deps(site.server.services)), settings)
    read_only = {t.name for t in registry if t.annotations is not None and t.annotations.read_only_hint}
    assert listed_tools(html) == read_only == {t.name for t in served}
    assert "send_message" not in listed_tools(html)


async def test_the_demo_home_page_offers_mcp_inspector_and_how_to_expose_a_server_not_a_sign_in(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:  # the demo's settings: loopback, no sign-in
        html = (await site.page("/")).text
        mcp_url = site.server.mcp_url  # bound to port 0: the address actually served stands in
    assert "local-development mode" in html
    inspector = html.split('id="inspector-heading"', 1)[1].split("</section>", 1)[0]
    assert "npx @modelcontextprotocol/inspector" in inspector
    assert f"<code>{mcp_url}</code>" in inspector
    assert "nothing to sign in to" in inspector
    # Claude.ai and ChatGPT cannot reach a loopback address: no steps to add it there, and
    # nothing on the page asks the person to sign in to this server.
    assert 'id="claude-heading"' not in html
    assert 'id="chatgpt-heading"' not in html
    assert "sign in with telegram" not in html.lower()
    exposing = html.split('id="https-heading"', 1)[1].split("</section>", 1)[0]
    assert f"they cannot reach <code>{mcp_url}</code>" in exposing
    for setting in ("PUBLIC_BASE_URL=https://", "AUTH_MODE=local-jwt", "TELEGRAM_OIDC_CLIENT_ID="):
        assert setting in exposing
    assert "cloudflared tunnel --url" in exposing
    assert "reverse proxy" in exposing


async def test_a_public_https_server_shows_claude_and_chatgpt_steps_with_its_own_url(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = sandbox_settings(
        tmp_path,
        PUBLIC_BASE_URL="https://telegram.example.org",
        AUTH_MODE="local-jwt",
        AUTH_REQUIRED="true",
        OAUTH_JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        TELEGRAM_OIDC_CLIENT_ID="1234567",
        TELEGRAM_OIDC_CLIENT_SECRET="secret-of-the-login-bot",
    )
    async with open_site(settings, world) as site:
        html = (await site.page("/")).text
    for heading in ("claude-heading", "chatgpt-heading", "inspector-heading"):
        section = html.split(f'id="{heading}"', 1)[1].split("</section>", 1)[0]
        assert "<code>https://telegram.example.org/mcp</code>" in section
        assert "sign in" in section.lower()
    assert 'id="https-heading"' not in html
    assert "local-development mode" not in html


async def test_every_page_sends_strict_security_headers_and_personal_pages_are_not_cached(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        for path in (*PUBLIC, *PERSONAL, "/telegram/connect/manage/delete", "/static/site.css"):
            response = await site.page(path)
            assert response.status_code == 200, (path, response.text[:300])
            csp = response.headers["Content-Security-Policy"]
            for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
                assert directive in csp, (path, csp)
            assert "unsafe-inline" not in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            if path.startswith("/telegram/"):
                assert response.headers["Cache-Control"] == "no-store", path
            if response.headers["Content-Type"].startswith("text/html"):
                assert re.search(r"<script(?![^>]*\bsrc=)", response.text) is None, path  # no inline script
                assert " style=" not in response.text, path  # no inline style either


async def test_the_session_cookie_is_httponly_samesite_and_scoped_to_the_wizard(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        response = await site.http.get("/telegram/signin?next=/telegram/connect/manage")
    assert response.status_code == 303
    assert response.headers["Location"] == "/telegram/connect/manage"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/telegram" in cookie
    assert "Secure" not in cookie  # plain-http loopback; an https deployment gets Secure:
    secure = SessionCodec(b"k" * 32, secure=True)
    from quart import Response

    stored = secure.store(Response(""), secure.new(identity_id=1, subject="tg:1"))
    assert "Secure" in stored.headers["Set-Cookie"]


def test_a_tampered_forged_or_expired_session_cookie_is_no_session() -> None:
    now = [1000.0]
    codec = SessionCodec(b"k" * 32, secure=False, clock=lambda: now[0])
    session = codec.new(identity_id=7, subject="tg:7")
    from quart import Response

    value = codec.store(Response(""), session).headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert codec.read(value) == session
    flipped = value[:-3] + ("A" if value[-3] != "A" else "B") + value[-2:]
    assert codec.read(flipped) is None
    assert SessionCodec(b"x" * 32, secure=False, clock=lambda: now[0]).read(value) is None  # another key
    assert codec.read("not-a-cookie") is None
    now[0] += 13 * 3600
    assert codec.read(value) is None


async def test_a_post_without_the_sessions_csrf_token_changes_nothing(
    settings: Settings, world: SandboxWorld, demo: DemoWorld
) -> None:
    async with open_site(settings, world) as site:
        services = site.server.services
        account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
        await site.page("/telegram/connect/manage")  # signed in (operator mode)
        forged = await site.post("/telegram/connect/manage/send", enabled="on", csrf="guessed")
        assert "That form expired; nothing changed." in forged.text
        row = await services.accounts.get(account_id)
        assert row is not None
        assert row.send_enabled is False
        missing = await site.post("/telegram/connect/manage/disconnect")
        assert "That form expired; nothing changed." in missing.text
        row = await services.accounts.get(account_id)
        assert row is not None
        assert row.status == "active"


async def test_without_a_session_the_manage_page_asks_to_sign_in(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    from tests.harness.oidc import start_oauth_server

    async with start_oauth_server(tmp_path, world) as server:
        import httpx

        async with httpx.AsyncClient(base_url=server.base_url) as http:
            response = await http.get("/telegram/connect/manage")
            assert response.status_code == 303
            assert response.headers["Location"] == "/telegram/signin?next=/telegram/connect/manage"
            forged = await http.post("/telegram/connect/manage/delete", data={"confirm": "delete"})
            assert forged.status_code == 303
            assert forged.headers["Location"].startswith("/telegram/signin")


@pytest.mark.parametrize(
    ("asked", "allowed"),
    [
        ("/telegram/connect/manage", "/telegram/connect/manage"),
        ("https://evil.example/telegram/", "/telegram/connect"),
        ("//evil.example/telegram/connect", "/telegram/connect"),
        ("/telegram//evil.example", "/telegram/connect"),
        ("/oauth/authorize", "/telegram/connect"),
        (None, "/telegram/connect"),
    ],
)
def test_sign_in_only_continues_to_a_page_of_the_wizard(asked: str | None, allowed: str) -> None:
    assert safe_next(asked) == allowed
