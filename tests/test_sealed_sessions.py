"""Sessions exist on disk only sealed: the database file never holds an auth key."""

from __future__ import annotations

import html
import sqlite3
from pathlib import Path

import trio
from mcp import Client

from mctltg.app import Services, provision_sandbox_account, tool_deps
from mctltg.config import Settings
from mctltg.errors import BROKEN_SESSION
from mctltg.sandbox import DemoWorld, SandboxWorld
from mctltg.telegram import SealedSession
from mctltg.tools import build_mcp_server
from tests.harness.settings import sandbox_settings
from tests.harness.site import alert_of, open_site


def _database_bytes(settings: Settings) -> bytes:
    base = Path(settings.database_url)
    return b"".join(path.read_bytes() for path in (base, Path(f"{base}-wal")) if path.exists())


async def test_the_database_file_holds_no_plaintext_auth_key(
    services: Services, settings: Settings, demo: DemoWorld
) -> None:
    account_id = await provision_sandbox_account(services, telegram_user_id=demo.me)
    await services.pool.stop(account_id)  # forces a final write-back of the session
    plaintext = await services.accounts.load_session(account_id)
    assert plaintext is not None
    key = SealedSession.from_bytes(plaintext).auth_key.key
    assert len(key) == 256
    stored = _database_bytes(settings)
    assert key not in stored
    assert key.hex().encode() not in stored
    assert key[:16] not in stored
    assert plaintext[:40] not in stored


async def test_after_a_tampered_session_every_surface_says_the_account_is_broken_in_one_sentence(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = sandbox_settings(tmp_path, ALLOW_SEND="true")
    peer = f"user:{demo.contacts[0]}"
    async with open_site(settings, world) as site:
        services = site.server.services
        account_id = await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
        await services.pool.stop(account_id)
        with sqlite3.connect(settings.database_url) as conn:  # someone edits the sealed blob
            (blob,) = conn.execute(
                "SELECT session_blob FROM telegram_accounts WHERE id = ?", (account_id,)
            ).fetchone()
            tampered = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
            conn.execute("UPDATE telegram_accounts SET session_blob = ? WHERE id = ?", (tampered, account_id))
        with trio.fail_after(30):
            async with Client(build_mcp_server(tool_deps(services))) as client:
                reads = [
                    await client.call_tool("list_dialogs", {"limit": 5}),
                    await client.call_tool("get_messages", {"peer": peer, "limit": 5}),
                    await client.call_tool("search_messages", {"query": "engine", "limit": 5}),
                ]
                status = await client.call_tool("get_my_send_status", {})
                sent = await client.call_tool("send_message", {"peer": peer, "text": "Are you there?"})
            manage = await site.page("/telegram/connect/manage")

    for result in reads:
        assert result.is_error
        assert result.structured_content is not None
        assert result.structured_content["message"] == BROKEN_SESSION, result.structured_content
    assert status.structured_content is not None
    assert status.structured_content["connected"] is False
    assert status.structured_content["can_send"] is False
    assert status.structured_content["reason"] == BROKEN_SESSION
    assert sent.structured_content is not None
    assert sent.structured_content["mode"] == "draft"
    assert BROKEN_SESSION in str(sent.structured_content)
    assert alert_of(manage.text) == " ".join(html.escape(BROKEN_SESSION, quote=False).split())
    assert "Turn sending on" not in manage.text
    assert "Turn sending off" not in manage.text


async def test_swapping_the_owners_of_two_account_rows_does_not_let_one_read_the_others_chats(
    services: Services, settings: Settings, demo: DemoWorld
) -> None:
    mine = await provision_sandbox_account(services, telegram_user_id=demo.me)
    theirs = await provision_sandbox_account(services, telegram_user_id=demo.second, subject="tg:other")
    for account_id in (mine, theirs):
        await services.pool.stop(account_id)
    with sqlite3.connect(settings.database_url) as conn:  # a database writer trades the rows' owners
        owners = dict(conn.execute("SELECT id, identity_id FROM telegram_accounts"))
        conn.execute("UPDATE telegram_accounts SET identity_id = -1 WHERE id = ?", (mine,))
        conn.execute("UPDATE telegram_accounts SET identity_id = ? WHERE id = ?", (owners[mine], theirs))
        conn.execute("UPDATE telegram_accounts SET identity_id = ? WHERE id = ?", (owners[theirs], mine))
    with trio.fail_after(30):
        async with Client(build_mcp_server(tool_deps(services))) as client:  # the operator, owner of `mine`
            listed = await client.call_tool("list_dialogs", {"limit": 50})
    assert listed.is_error
    assert listed.structured_content is not None
    assert listed.structured_content["message"] == BROKEN_SESSION
