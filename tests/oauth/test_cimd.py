"""Client ID Metadata Documents: an https client_id is fetched as the client's metadata.

The documents are served over https on loopback by a test server with its own CA (trusted
through ``SSL_CERT_FILE``, its host ``localhost`` through ``OUTBOUND_TRUSTED_HOSTS``), and
fetched by the server's one outbound fetcher. The end-to-end case is the MCP SDK's own
``OAuthClientProvider`` given a ``client_metadata_url``: it sees CIMD advertised, skips
registration, and authorizes with its URL as client_id.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import httpx2
import pytest
import trio
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from mctltg.app import Services, build_asgi_app, build_oauth, open_services, provision_sandbox_account
from mctltg.oauth.cimd import (
    DEFAULT_TTL,
    MAX_DOCUMENT_BYTES,
    MAX_TTL,
    MIN_TTL,
    ClientDocuments,
    load_seeds,
    parse_document,
    time_to_live,
)
from mctltg.oauth.errors import AuthorizeError, OAuthError
from mctltg.oauth.rfc7636 import s256
from mctltg.outbound import FetchPolicy
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.sandbox.testing import ManualClock
from mctltg.web.oauth_endpoints import COOKIE
from tests.harness.https_files import HttpsFiles, Route, serve_https_files
from tests.harness.oauth import (
    BASE,
    CLIENT_ID,
    REDIRECT,
    VERIFIER,
    oauth_settings,
    query_of,
    running_lifespan,
)

DOCUMENT_PATH = "/oauth/client.json"


def _document(url: str, **extra: Any) -> bytes:
    return json.dumps(
        {
            "client_id": url,
            "client_name": "Metadata Client",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            **extra,
        }
    ).encode()


@asynccontextmanager
async def _deployment(
    tmp_path: Path,
    world: SandboxWorld,
    monkeypatch: pytest.MonkeyPatch,
    *,
    seeds: Callable[[HttpsFiles], bytes] | None = None,
) -> AsyncIterator[tuple[Services, HttpsFiles, httpx.AsyncClient, ManualClock]]:
    """The OAuth deployment of the harness, able to fetch from the loopback https server.

    ``seeds`` writes the ``CIMD_SEED_FILE`` (it needs the server's port, hence a function).
    """
    async with serve_https_files(tmp_path) as files:
        monkeypatch.setenv("SSL_CERT_FILE", str(files.write_ca(tmp_path / "ca.pem")))
        clock = ManualClock(time.time())
        settings: dict[str, str] = {}
        if seeds is not None:
            (tmp_path / "seeds.json").write_bytes(seeds(files))
            settings["CIMD_SEED_FILE"] = str(tmp_path / "seeds.json")
        configured = oauth_settings(tmp_path, OUTBOUND_TRUSTED_HOSTS="localhost", **settings)
        async with open_services(configured, world=world, clock=clock) as services:
            app = build_asgi_app(services)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
                yield services, files, http, clock


def _authorize_params(client_id: str) -> dict[str, list[str]]:
    return {
        "response_type": ["code"],
        "client_id": [client_id],
        "redirect_uri": [REDIRECT],
        "state": ["s"],
        "code_challenge": [s256(VERIFIER)],
        "code_challenge_method": ["S256"],
    }


async def test_the_authorization_server_advertises_cimd_with_the_none_auth_method(
    tmp_path: Path, world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _deployment(tmp_path, world, monkeypatch) as (_, _, http, _):
        metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["client_id_metadata_document_supported"] is True
    assert "none" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["registration_endpoint"].endswith("/oauth/register")  # DCR stays


async def test_a_cimd_client_completes_authorization_without_registering(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _deployment(tmp_path, world, monkeypatch) as (services, files, http, _):
        url = files.url(DOCUMENT_PATH)
        files.routes[DOCUMENT_PATH] = Route(content_type="application/json", body=_document(url))
        await provision_sandbox_account(services, telegram_user_id=demo.me, subject=f"tg:{CLIENT_ID}")
        server = build_oauth(services).server
        pages: list[str] = []
        landed: list[str] = []

        async def redirect_handler(authorization_url: str) -> None:
            pending = await server.begin(parse_qs(urlsplit(authorization_url).query))
            authorization = await server.pending(pending.browser_token)
            assert authorization is not None
            await server.signed_in(authorization, telegram_user_id=CLIENT_ID, display_name="Person")
            cookie = {"Cookie": f"{COOKIE}={pending.browser_token}"}
            page = await http.get("/oauth/consent", headers=cookie)
            pages.append(page.text)
            decided = await http.post(
                "/oauth/consent", data={"csrf": authorization.csrf, "decision": "approve"}, headers=cookie
            )
            assert decided.status_code == 303, decided.text
            landed.append(decided.headers["location"])

        async def callback_handler() -> AuthorizationCodeResult:
            params = query_of(landed[-1])
            return AuthorizationCodeResult(
                code=params["code"], state=params.get("state"), iss=params.get("iss")
            )

        class Storage:
            tokens: Any = None
            client: Any = None

            async def get_tokens(self) -> Any:
                return self.tokens

            async def set_tokens(self, tokens: Any) -> None:
                self.tokens = tokens

            async def get_client_info(self) -> Any:
                return self.client

            async def set_client_info(self, client_info: Any) -> None:
                self.client = client_info

        storage = Storage()
        provider = OAuthClientProvider(
            BASE + "/mcp",
            OAuthClientMetadata(
                client_name="Metadata Client",
                redirect_uris=[REDIRECT],  # type: ignore[list-item]
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
            client_metadata_url=url,
        )
        app = build_asgi_app(services)
        with trio.fail_after(30):
            async with (
                running_lifespan(app),
                httpx2.AsyncClient(
                    transport=httpx2.ASGITransport(app=app), base_url=BASE, auth=provider
                ) as mcp_http,
                Client(streamable_http_client(BASE + "/mcp", http_client=mcp_http)) as client,
            ):
                result = await client.call_tool("list_dialogs", {"limit": 1})
        assert not result.is_error, result
        assert storage.client.client_id == url  # no registration: the URL is the client id
        assert await services.oauth.unused_clients() == 0  # no other client was ever stored
        assert files.hits == [DOCUMENT_PATH]  # fetched once, then cached
        assert "Allow <strong>localhost</strong>" in pages[0]  # shown by its verified host
        assert "Metadata Client" in pages[0]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("private", "resolves to"),
        ("redirect-to-private", "redirected to 127.0.0.1"),
        ("http", "unknown to this server"),
        ("client-id-mismatch", "not exactly the URL"),
        ("client-secret", "token_endpoint_auth_method must be none"),
    ],
)
async def test_an_unsafe_or_invalid_document_url_is_refused_with_an_oauth_error(
    tmp_path: Path, world: SandboxWorld, monkeypatch: pytest.MonkeyPatch, target: str, reason: str
) -> None:
    async with _deployment(tmp_path, world, monkeypatch) as (_, files, http, _):
        trusted = files.url(DOCUMENT_PATH)
        untrusted = files.url(DOCUMENT_PATH, host="127.0.0.1")  # loopback, not a trusted host
        files.routes[DOCUMENT_PATH] = Route(content_type="application/json", body=_document(untrusted))
        client_id = {
            "private": untrusted,
            "redirect-to-private": files.url("/moved.json"),
            "http": trusted.replace("https://", "http://"),
            "client-id-mismatch": files.url("/other.json"),
            "client-secret": files.url("/secret.json"),
        }[target]
        files.redirect("/moved.json", untrusted)
        files.routes["/other.json"] = Route(content_type="application/json", body=_document(trusted))
        files.routes["/secret.json"] = Route(
            content_type="application/json",
            body=_document(files.url("/secret.json"), token_endpoint_auth_method="client_secret_basic"),
        )
        query = urlencode({key: values[0] for key, values in _authorize_params(client_id).items()})
        answer = await http.get(f"/oauth/authorize?{query}")
    assert answer.status_code == 400  # shown to the person, never sent to an unverified redirect URI
    assert "location" not in answer.headers
    assert reason in answer.text.replace("&#39;", "'")
    if target in ("private", "http"):
        assert DOCUMENT_PATH not in files.hits  # nothing was fetched from a refused address


async def test_a_seeded_document_stands_in_when_the_live_fetch_is_refused(
    tmp_path: Path, world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "/bot-protected.json"

    def seeds(files: HttpsFiles) -> bytes:
        return b"[" + _document(files.url(path), client_name="Seeded Client") + b"]"

    async with _deployment(tmp_path, world, monkeypatch, seeds=seeds) as (services, files, _, _):
        url = files.url(path)
        files.routes[path] = Route(
            status=403, content_type="text/html", body=b"<html>are you a robot?</html>"
        )
        server = build_oauth(services).server
        pending = await server.begin(_authorize_params(url))
        client = await services.oauth.client(url)
    assert files.hits == [path]  # the live fetch was tried first
    assert pending.browser_token
    assert client is not None
    assert client.client_name == "Seeded Client"
    assert client.redirect_uris == (REDIRECT,)


async def test_a_live_fetch_failure_without_a_seed_is_refused(
    tmp_path: Path, world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _deployment(tmp_path, world, monkeypatch) as (services, files, _, _):
        url = files.url("/bot-protected.json")
        files.routes["/bot-protected.json"] = Route(status=403, body=b"no robots")
        server = build_oauth(services).server
        with pytest.raises(AuthorizeError) as refused:
            await server.begin(_authorize_params(url))
    assert refused.value.error == "invalid_client"
    assert not refused.value.redirect
    assert "HTTP 403" in refused.value.description


@pytest.mark.parametrize(
    ("cache_control", "fresh_for"),
    [
        ("public, max-age=300", 300.0),
        ("max-age=5", MIN_TTL),  # too short: held for the minimum
        ("max-age=99999999", MAX_TTL),  # too long: held for the maximum
        ("no-store", MIN_TTL),
        (None, DEFAULT_TTL),
    ],
)
async def test_a_document_is_cached_as_its_headers_say_within_bounds(
    tmp_path: Path, cache_control: str | None, fresh_for: float
) -> None:
    assert time_to_live(cache_control) == fresh_for
    async with serve_https_files(tmp_path) as files:
        url = files.url(DOCUMENT_PATH)
        headers = () if cache_control is None else (("cache-control", cache_control),)
        files.routes[DOCUMENT_PATH] = Route(
            content_type="application/json", body=_document(url), headers=headers
        )
        clock = ManualClock()
        documents = ClientDocuments(
            policy=FetchPolicy(
                max_bytes=5000,
                timeout=10,
                trusted_hosts=frozenset({"localhost"}),
                ssl_context=files.ssl_context(),
            ),
            clock=clock,
        )
        with trio.fail_after(20):
            await documents.resolve(url)
            clock.advance(fresh_for - 1)
            await documents.resolve(url)
            assert files.hits == [DOCUMENT_PATH]  # still fresh: served from the cache
            clock.advance(2)
            await documents.resolve(url)
    assert files.hits == [DOCUMENT_PATH, DOCUMENT_PATH]  # expired: fetched again


def test_a_seed_file_with_an_invalid_document_stops_the_server_from_starting(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.json"
    url = "https://client.example/oauth/client.json"
    seeds.write_bytes(b"[" + _document(url, redirect_uris=["http://attacker.example/cb"]) + b"]")
    with pytest.raises(ValueError, match=r"the document for https://client\.example/oauth/client\.json"):
        load_seeds(seeds)
    seeds.write_bytes(b"[" + _document(url) + b"]")
    assert load_seeds(seeds)[url].redirect_uris == (REDIRECT,)


def test_a_document_over_the_size_cap_is_refused() -> None:
    url = "https://client.example/oauth/client.json"
    with pytest.raises(OAuthError, match="larger than"):
        parse_document(url, _document(url, client_name="x" * (MAX_DOCUMENT_BYTES + 1)))
