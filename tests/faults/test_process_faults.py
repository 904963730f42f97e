"""The server process dies or is stopped at the worst moment; after a restart nothing is lost or doubled.

``server_child.py`` runs the whole server (HTTP, MCP SDK, account pool, Telethon over
the sandbox) in a process of its own. Its sandbox world dies with it, as real
Telegram would not, so the restarted server (this process, same database) gets a
fresh world that knows the same auth keys, and the test counts what matters there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import trio

from benchmarks.wire import McpError, WireSession, open_http
from mctltg.app import open_services
from mctltg.config import Settings
from mctltg.crypto import Sealer
from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.storage import Accounts, open_database
from mctltg.telegram import SealedSession
from tests.harness.inprocess import serve_in_process

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]
KEY = "mill-1"
TEXT = "Meet me at the mill"


@asynccontextmanager
async def _child(mode: str, settings: Settings) -> AsyncIterator[tuple[trio.Process, str, list[str]]]:
    """Start ``server_child MODE``; yield the process, its MCP URL and its output so far."""
    assert settings.encryption_key is not None
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "tests.faults.server_child", mode, settings.database_url],
        cwd=REPOSITORY,
        env={**os.environ, "MCTLTG_TEST_ENCRYPTION_KEY": settings.encryption_key.value.hex()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    buffer = ""
    try:
        assert process.stdout is not None
        with trio.fail_after(60):
            while "MCP endpoint:" not in buffer:
                chunk = await process.stdout.receive_some(65536)
                assert chunk, buffer
                buffer += chunk.decode(errors="replace")
        url = buffer.split("MCP endpoint:", 1)[1].split()[0]
        lines.append(buffer)
        yield process, url, lines
    finally:
        if process.returncode is None:
            process.kill()
        with trio.move_on_after(10):
            await process.wait()


async def _rest_of(process: trio.Process, lines: list[str]) -> str:
    assert process.stdout is not None
    while chunk := await process.stdout.receive_some(65536):
        lines.append(chunk.decode(errors="replace"))
    return "".join(lines)


async def _auth_keys(settings: Settings) -> dict[int, bytes]:
    """Telegram user id → the auth key sealed in the database, for the restarted world."""
    assert settings.encryption_key is not None
    keys: dict[int, bytes] = {}
    async with open_database(settings.database_url) as database:
        accounts = Accounts(database, Sealer(settings.encryption_key.value))
        for account_id in range(1, 10):
            row = await accounts.get(account_id)
            if row is None or row.telegram_user_id is None:
                continue
            blob = await accounts.load_session(account_id)
            if blob is not None:
                keys[row.telegram_user_id] = SealedSession.from_bytes(blob).auth_key.key
    return keys


async def test_a_server_killed_during_a_send_neither_loses_nor_repeats_it_after_restart(
    settings: Settings,
) -> None:
    settings = settings.replace(allow_send=True)
    async with _child("send", settings) as (process, url, lines):
        async with open_http(1) as http:
            session = await WireSession(http, url).open()
            peer = f"user:{seed_demo_world(SandboxWorld()).contacts[0]}"
            with trio.fail_after(30), pytest.raises(McpError):
                await session.call_tool("send_message", {"peer": peer, "text": TEXT, "idempotency_key": KEY})
        with trio.fail_after(10):
            output = await _rest_of(process, lines)
            await process.wait()
    assert process.returncode == -signal.SIGKILL, output
    assert "accepted 1" in output  # Telegram delivered it once, and then the server died

    world = SandboxWorld()
    demo = seed_demo_world(world)
    for user_id, key in (await _auth_keys(settings)).items():
        world.authorize_key(user_id, key)
    mark = world.mark()
    async with serve_in_process(settings, world) as server, open_http(1) as http:
        session = await WireSession(http, server.mcp_url).open()
        with trio.fail_after(30):
            again = await session.call_tool(
                "send_message", {"peer": peer, "text": TEXT, "idempotency_key": KEY}
            )
            dialogs = await session.call_tool("list_dialogs", {"limit": 5})
            audit = await server.services.audit.verify()
    out = again["structuredContent"]
    assert not again.get("isError"), out
    # A clear answer: the first attempt's outcome is unknown, so it is not sent a second time.
    assert (out["status"], out["replayed"]) == ("sent_unverified", True)
    assert "messages.SendMessageRequest" not in world.calls_since(mark, user_id=demo.me)
    assert not dialogs.get("isError")  # the account survived the kill
    assert audit.intact


async def test_sigterm_during_a_login_stops_cleanly_and_leaves_other_accounts_and_no_half_login(
    settings: Settings,
) -> None:
    async with _child("login", settings) as (process, _url, lines):
        assert "login in flight" in "".join(lines)
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(10):  # SHUTDOWN_GRACE is 1 s; the stuck login must not hold the exit
            output = await _rest_of(process, lines)
            await process.wait()
    assert process.returncode == 0, output
    assert "stopped" in output

    world = SandboxWorld()
    demo = seed_demo_world(world)
    for user_id, key in (await _auth_keys(settings)).items():
        world.authorize_key(user_id, key)
    with trio.fail_after(30):
        async with open_services(settings, world=world) as services:
            grace = await services.identities.by_subject("tg:grace")
            operator = await services.identities.by_subject("operator")
            assert grace is not None
            assert operator is not None
            dialogs = await (await services.directory.account_for(grace.id)).dialogs(5)
            half = await services.accounts.for_identity(operator.id)
            fresh = await services.logins.start_phone(operator.id, demo.me_phone)
    assert dialogs  # Grace's account was untouched by the interrupted login
    assert half is None or half.status != "active"
    assert fresh.step.name == "NEEDS_CODE"  # and the interrupted person can simply start again
