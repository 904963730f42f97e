"""A whole day of use with logs at DEBUG: not one secret or message text reaches a log line.

The scenario runs the real server (Hypercorn, Quart, MCP SDK, Telethon over the sandbox)
as its own OAuth issuer, signing people in at a real loopback OIDC provider:

1. a Telegram login by phone with a login code and a two-step verification password;
2. the OAuth flow an MCP client goes through: registration, PKCE authorization with
   sign-in and consent in a browser, code exchange, a refresh;
3. reads with the issued token: list_dialogs, get_unread_messages, get_messages,
   search_messages;
4. a real send, then (consent withdrawn) a dry run that only drafts.

Every log line of the process is captured through the product's own log configuration
at DEBUG, with every logger that exists (third-party ones included, e.g. the SSE
transport's, which logs each chunk it streams) also turned to DEBUG, as an operator
chasing a bug might do by hand; then the log is searched for every message text of
the account's chats, both texts the scenario sent or drafted, the session and its
auth key, the phone numbers, the login code, the password, and every token, code
and secret the OAuth flow issued or used. Then the database files are searched for the
issued codes and tokens, which must be kept only as digests.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import httpx2
import pytest
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mctltg.accounts import LoginStep
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.telegram.session import SealedSession
from tests.harness.logs import captured_logs
from tests.harness.oauth import pkce_pair, query_of, register
from tests.harness.oidc import OIDC_CLIENT_SECRET, SIGNING_KEY, Browser, start_oauth_server

pytestmark = pytest.mark.slow

REDIRECT = "http://127.0.0.1:9/callback"
PASSWORD = "correct horse battery staple 42"
SENT_TEXT = "Meet me by the difference engine at quarter past nine, bring the punched cards"
DRAFT_TEXT = "Draft only: the analytical engine weaves algebraic patterns like the Jacquard loom"


class DebugCounter(logging.Handler):
    """Counts the DEBUG records each logger emitted (keeps no text): proof the capture was at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.DEBUG:
            self.counts[record.name.split(".")[0]] += 1


@pytest.fixture
def debug_counter() -> DebugCounter:
    return DebugCounter()


@pytest.fixture
def debug_logs(debug_counter: DebugCounter) -> Iterator[io.StringIO]:
    with captured_logs(logging.DEBUG, sandbox=True) as stream:
        everything_at_debug()
        logging.getLogger().addHandler(debug_counter)
        yield stream


def everything_at_debug() -> None:
    """Every logger known so far at DEBUG, whatever the product's configuration chose."""
    logging.getLogger().setLevel(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


async def test_a_whole_scenario_logged_at_debug_leaks_no_text_phone_code_password_or_token(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld, debug_logs: io.StringIO, debug_counter: DebugCounter
) -> None:
    world.set_password(demo.me, PASSWORD)
    secrets_seen: dict[str, str] = {"password": PASSWORD, "oidc client secret": OIDC_CLIENT_SECRET}
    secrets_seen["jwt signing key"] = SIGNING_KEY
    async with (
        start_oauth_server(tmp_path, world, TG_LOGIN_CLIENTS=str(demo.me), ALLOW_SEND="true") as server,
        httpx.AsyncClient() as http,
    ):
        services = server.services
        everything_at_debug()  # loggers the server created while starting, too
        with trio.fail_after(90):
            # 1. Telegram login: phone → code → 2FA password.
            identity = await services.identities.ensure(f"tg:{demo.me}")
            view = await services.logins.start_phone(identity.id, demo.me_phone)
            code = world.last_login_code(demo.me_phone)
            assert code is not None
            secrets_seen["login code"] = code
            view = await services.logins.submit_code(identity.id, view.login_id, code)
            assert view.step is LoginStep.NEEDS_PASSWORD
            view = await services.logins.submit_password(identity.id, view.login_id, PASSWORD)
            assert view.step is LoginStep.DONE
            account = await services.accounts.for_identity(identity.id)
            assert account is not None
            session = await services.accounts.load_session(account.id)
            assert session is not None
            auth_key = SealedSession.from_bytes(session).auth_key
            assert auth_key is not None
            assert auth_key.key is not None
            secrets_seen["session auth key"] = auth_key.key.hex()
            secrets_seen["session"] = session.decode()

            # 2. OAuth: register, authorize with PKCE in a browser, exchange, refresh.
            client_id = await register(http, server.base_url, REDIRECT)
            verifier, challenge = pkce_pair()
            secrets_seen["pkce verifier"] = verifier
            query = urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": REDIRECT,
                    "state": "scenario-state",
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                    "resource": server.mcp_url,
                }
            )
            landed = await Browser(http).authorize(
                f"{server.base_url}/oauth/authorize?{query}", telegram_id=demo.me, stop_at=REDIRECT
            )
            authorization_code = query_of(landed)["code"]
            secrets_seen["authorization code"] = authorization_code
            exchanged = await http.post(
                server.base_url + "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": authorization_code,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                    "client_id": client_id,
                    "resource": server.mcp_url,
                },
            )
            assert exchanged.status_code == 200, exchanged.text
            secrets_seen["first access token"] = exchanged.json()["access_token"]
            secrets_seen["first refresh token"] = exchanged.json()["refresh_token"]
            refreshed = await http.post(
                server.base_url + "/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": secrets_seen["first refresh token"],
                    "client_id": client_id,
                },
            )
            assert refreshed.status_code == 200, refreshed.text
            access_token = refreshed.json()["access_token"]
            secrets_seen["access token"] = access_token
            secrets_seen["refresh token"] = refreshed.json()["refresh_token"]

            # 3 and 4. Reads, a real send and a dry run, with the issued token.
            async with (
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {access_token}"}) as mcp_http,
                Client(streamable_http_client(server.mcp_url, http_client=mcp_http)) as client,
            ):
                listed = await client.call_tool("list_dialogs", {"limit": 200})
                assert not listed.is_error, listed
                assert listed.structured_content is not None
                peers = [dialog["peer"] for dialog in listed.structured_content["dialogs"]]
                unread = await client.call_tool("get_unread_messages", {"limit": 50})
                assert not unread.is_error, unread
                history = await client.call_tool("get_messages", {"peer": peers[0], "limit": 20})
                assert not history.is_error, history
                found = await client.call_tool("search_messages", {"query": "engine", "limit": 10})
                assert not found.is_error, found
                consent = await client.call_tool("set_send_consent", {"enabled": True})
                assert not consent.is_error, consent
                sent = await client.call_tool(
                    "send_message", {"peer": peers[0], "text": SENT_TEXT, "idempotency_key": "scenario-1"}
                )
                assert sent.structured_content is not None
                assert sent.structured_content["status"] == "sent", sent
                withdrawn = await client.call_tool("set_send_consent", {"enabled": False})
                assert not withdrawn.is_error, withdrawn
                drafted = await client.call_tool("send_message", {"peer": peers[0], "text": DRAFT_TEXT})
                assert drafted.structured_content is not None
                assert drafted.structured_content["mode"] == "draft", drafted
        texts = {
            message.text
            for peer in peers
            for message in world.history(viewer=demo.me, peer=peer)
            if len(message.text) >= 12
        }

    log = debug_logs.getvalue()
    # The capture worked: every logger was at DEBUG and the chatty ones did write at DEBUG
    # (the MCP SDK, whose DEBUG records carry JSON-RPC messages, and the HTTP clients) ...
    assert debug_counter.counts["mcp"] > 0, debug_counter.counts
    assert debug_counter.counts["httpcore"] > 0, debug_counter.counts
    # ... and the scenario's own events are in the log.
    assert 'msg="http request"' in log
    for tool in ("list_dialogs", "get_unread_messages", "get_messages", "search_messages", "send_message"):
        assert f"tool={tool}" in log
    assert logging.getLogger("sse_starlette.sse").isEnabledFor(logging.DEBUG)  # as chatty as it gets
    assert SENT_TEXT in texts  # the real send reached the world
    assert len(texts) >= 10

    leaks = [f"message text {text[:20]!r}…" for text in texts if text in log]
    if DRAFT_TEXT in log:
        leaks.append("drafted text")
    for name, value in secrets_seen.items():
        if value in log:
            leaks.append(name)
    for phone in (demo.me_phone, demo.second_phone):
        if phone in log or digits(phone) in digits_runs(log):
            leaks.append(f"phone number {phone[:3]}…")
    assert leaks == []

    # At rest: codes and tokens are kept only as digests, the session only sealed.
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("test.db*"))
    assert stored
    kept = [
        name
        for name in (
            "authorization code",
            "first refresh token",
            "refresh token",
            "access token",
            "pkce verifier",
        )
        if secrets_seen[name].encode() in stored
    ]
    assert kept == []


def digits_runs(log: str) -> set[str]:
    """Every run of digits in the log (phone numbers are searched for without their formatting)."""
    return set(re.findall(r"\d{7,}", log))
