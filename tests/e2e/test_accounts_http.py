"""Several Telegram accounts for one person, over real HTTP on the sandbox.

One identity (the operator) holds Ada's account as "main" (the default) and Grace's as
"work": every Telegram tool reads the account named by ``account``, sends go out from
the chosen account only, and consent, rate limits and idempotency keys are each
account's own. A label or id that is not the caller's is one sentence, and nothing
reaches Telegram.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx2
import trio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from mctltg.app import provision_sandbox_account
from mctltg.crypto import Sealer
from mctltg.sandbox import SANDBOX_DC_ID, DemoWorld, SandboxWorld
from mctltg.storage import MIGRATIONS, session_binding
from mctltg.storage.migrations import apply_migrations
from mctltg.telegram import SealedSession
from tests.harness.inprocess import serve_in_process
from tests.harness.settings import sandbox_settings
from tests.harness.world import without_catch_up


async def _call(client: Client, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments or {})
    assert result.structured_content is not None
    assert not result.is_error, result.structured_content
    return result.structured_content


async def _refused(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.structured_content is not None
    return result.structured_content


def _titles(listing: dict[str, Any]) -> set[str]:
    return {dialog["title"] for dialog in listing["dialogs"]}


async def test_one_person_reads_both_accounts_and_sends_only_from_the_one_named(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    room = f"channel:{demo.supergroup}"  # Math Circle: Ada and Grace are both members
    with trio.fail_after(90):
        async with (
            serve_in_process(sandbox_settings(tmp_path, ALLOW_SEND="true"), world) as server,
            httpx2.AsyncClient() as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            main = await provision_sandbox_account(server.services, telegram_user_id=demo.me)
            work = await provision_sandbox_account(
                server.services, telegram_user_id=demo.second, label="work"
            )
            listed = await _call(client, "list_my_accounts")
            ada = await _call(client, "get_my_identity")
            grace = await _call(client, "get_my_identity", {"account": "work"})
            ada_dialogs = await _call(client, "list_dialogs", {"limit": 50})
            grace_dialogs = await _call(client, "list_dialogs", {"limit": 50, "account": "WORK"})

            await _call(client, "set_send_consent", {"enabled": True, "account": "work"})
            main_status = await _call(client, "get_my_send_status")
            work_status = await _call(client, "get_my_send_status", {"account": "work"})
            from_main = await _call(client, "send_message", {"peer": room, "text": "from the default"})
            from_work = await _call(
                client, "send_message", {"peer": room, "text": "from work", "account": "work"}
            )
            operator = await server.services.identities.ensure("operator")
            audit = await server.services.audit.page(operator.id, limit=20)

    assert [(a["label"], a["default"], a["status"]) for a in listed["accounts"]] == [
        ("main", True, "active"),
        ("work", False, "active"),
    ]
    assert [a["name"] for a in listed["accounts"]] == ["Ada Lovelace", "Grace Hopper"]
    assert (ada["id"], grace["id"]) == (demo.me, demo.second)
    assert "Grace Hopper" in _titles(ada_dialogs)
    assert "Ada Lovelace" in _titles(grace_dialogs)
    assert (main_status["can_send"], work_status["can_send"]) == (False, True)
    assert from_main["mode"] == "draft"
    assert from_work["status"] == "sent"
    history = world.history(viewer=demo.me, peer=room)
    assert [(m.sender, m.text) for m in history if m.text.startswith("from ")] == [(demo.second, "from work")]
    sends = [(row.tool, row.outcome, row.account_id) for row in reversed(audit) if "send_message" in row.tool]
    assert sends == [
        ("send_message", "draft", main),
        ("send_message:delivery", "sent", work),
        ("send_message", "ok", work),
    ]


async def test_rate_limits_and_idempotency_keys_are_each_accounts_own(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    room = f"channel:{demo.supergroup}"
    settings = sandbox_settings(tmp_path, ALLOW_SEND="true", SEND_RATE_LIMIT_PER_HOUR="1")
    with trio.fail_after(90):
        async with (
            serve_in_process(settings, world) as server,
            httpx2.AsyncClient() as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            await provision_sandbox_account(server.services, telegram_user_id=demo.me, send_enabled=True)
            await provision_sandbox_account(
                server.services, telegram_user_id=demo.second, label="work", send_enabled=True
            )
            same_key = {"peer": room, "idempotency_key": "k-1"}
            main_first = await _call(client, "send_message", {**same_key, "text": "one from Ada"})
            work_first = await _call(
                client, "send_message", {**same_key, "text": "one from Grace", "account": "work"}
            )
            main_again = await _call(client, "send_message", {"peer": room, "text": "two from Ada"})
            work_again = await _call(
                client, "send_message", {"peer": room, "text": "two from Grace", "account": "work"}
            )

    # The same key on two accounts is two sends; the limit of one per hour is spent per account.
    assert (main_first["status"], work_first["status"]) == ("sent", "sent")
    assert not main_first.get("replayed")
    assert not work_first.get("replayed")
    assert (main_again["dry_reason_code"], work_again["dry_reason_code"]) == ("rate_limit", "rate_limit")
    history = world.history(viewer=demo.me, peer=room)
    assert sorted((m.sender, m.text) for m in history if m.text.startswith(("one ", "two "))) == [
        (demo.me, "one from Ada"),
        (demo.second, "one from Grace"),
    ]


async def test_an_unknown_label_or_someone_elses_account_is_one_sentence_and_nothing_reaches_telegram(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(90):
        async with (
            serve_in_process(sandbox_settings(tmp_path, ALLOW_SEND="true"), world) as server,
            httpx2.AsyncClient() as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            await provision_sandbox_account(server.services, telegram_user_id=demo.me, send_enabled=True)
            theirs = await provision_sandbox_account(
                server.services, telegram_user_id=demo.second, subject="tg:someone-else", send_enabled=True
            )
            mark = world.mark()
            unknown = await _refused(
                client, "get_messages", {"peer": f"user:{demo.second}", "account": "nope"}
            )
            other = await _refused(
                client, "send_message", {"peer": "me", "text": "hi", "account": str(theirs)}
            )
            as_number = await _refused(client, "disconnect_telegram_account", {"account": theirs})
            default_to = await _refused(client, "set_default_account", {"account": str(theirs)})
            calls = without_catch_up(world.calls_since(mark))
            their_row = await server.services.accounts.get(theirs)
            listed = await _call(client, "list_my_accounts")

    assert unknown["message"] == "account: no account labelled 'nope'; list_my_accounts shows yours"
    same = f"account: no account labelled '{theirs}'; list_my_accounts shows yours"
    assert [other["message"], as_number["message"], default_to["message"]] == [same] * 3
    assert calls == []
    assert their_row is not None
    assert (their_row.status, their_row.is_default) == ("active", True)
    assert [a["label"] for a in listed["accounts"]] == ["main"]


async def test_the_default_moves_with_set_default_account_and_disconnect_takes_the_named_account(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    with trio.fail_after(90):
        async with (
            serve_in_process(sandbox_settings(tmp_path), world) as server,
            httpx2.AsyncClient() as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            await provision_sandbox_account(server.services, telegram_user_id=demo.me)
            work = await provision_sandbox_account(
                server.services, telegram_user_id=demo.second, label="work"
            )
            chosen = await _call(client, "set_default_account", {"account": "work"})
            me_now = await _call(client, "get_my_identity")
            gone = await _call(client, "disconnect_telegram_account", {"account": "main"})
            listed = await _call(client, "list_my_accounts")
            still = await _call(client, "get_my_identity", {"account": str(work)})
            deleted = await _call(client, "delete_telegram_account", {"account": "work"})
            after = await _call(client, "list_my_accounts")

    assert chosen == {"default": "work", "sandbox": True}
    assert me_now["id"] == demo.second
    assert gone["disconnected"] is True
    assert [(a["label"], a["status"], a["default"]) for a in listed["accounts"]] == [
        ("work", "active", True),
        ("main", "disconnected", False),
    ]
    assert still["id"] == demo.second
    assert deleted["deleted"] is True
    assert [(a["label"], a["default"]) for a in after["accounts"]] == [("main", True)]


async def test_a_version_5_database_keeps_its_account_as_the_default_main_and_takes_a_second(
    tmp_path: Path, world: SandboxWorld, demo: DemoWorld
) -> None:
    settings = sandbox_settings(tmp_path)
    assert settings.encryption_key is not None
    _version_5_database_with_adas_account(settings.database_url, settings.encryption_key.value, world, demo)
    with trio.fail_after(90):
        async with (
            serve_in_process(settings, world) as server,
            httpx2.AsyncClient() as http,
            Client(streamable_http_client(server.mcp_url, http_client=http)) as client,
        ):
            before = await _call(client, "list_my_accounts")
            me = await _call(client, "get_my_identity")
            status = await _call(client, "get_my_send_status")
            await provision_sandbox_account(server.services, telegram_user_id=demo.second, label="work")
            after = await _call(client, "list_my_accounts")
            still_me = await _call(client, "get_my_identity")

    assert before["accounts"] == [
        {"label": "main", "id": 1, "name": "Ada Lovelace", "status": "active", "default": True}
    ]
    assert me["id"] == still_me["id"] == demo.me
    assert status["send_enabled"] is True  # the consent given before the upgrade stays
    assert [(a["label"], a["default"]) for a in after["accounts"]] == [("main", True), ("work", False)]


def _version_5_database_with_adas_account(
    path: str, key: bytes, world: SandboxWorld, demo: DemoWorld
) -> None:
    """A database as mctltg left it before several accounts: schema 5, the operator's one account."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        apply_migrations(conn, MIGRATIONS[:5])
        conn.execute(
            "INSERT INTO identities (id, subject, display_name, created_at) VALUES (7, 'operator', '', 0)"
        )
        session = SealedSession.with_auth_key(
            world.authorize_new_key(demo.me), dc_id=SANDBOX_DC_ID, address="127.0.0.1", port=443
        )
        blob = Sealer(key).seal(session.to_bytes(), bound_to=session_binding(1, 7, demo.me))
        conn.execute(
            "INSERT INTO telegram_accounts (id, identity_id, telegram_user_id, display_name, status,"
            " send_enabled, device_name, session_blob, created_at, sandbox)"
            " VALUES (1, 7, ?, 'Ada Lovelace', 'active', 1, 'mctltg tests', ?, ?, 1)",
            (demo.me, blob, time.time()),
        )
    finally:
        conn.close()
