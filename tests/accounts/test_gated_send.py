"""A process killed between Telegram's acceptance and the send's record: no second message.

Phase 1 is a real process (``kill_after_accept.py``) over a database file; the sandbox
world delivers the send and then SIGKILLs that process before Telethon sees the answer,
so mctltg never learns the result and no cleanup of ours runs. The sandbox world lives
in that process and dies with it, as real Telegram would not; so phase 2 counts what
matters directly: the restarted server (this process, same database, a fresh world that
knows the same auth key) must make no ``SendMessage`` request at all when the key is
repeated, and must say ``sent_unverified``. One delivery before the kill plus zero after
is exactly one message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import trio
from mcp import Client

from mctltg.app import open_services, tool_deps
from mctltg.config import Settings
from mctltg.crypto import Sealer
from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.storage import Accounts, Identities, Sends, open_database
from mctltg.telegram import SealedSession
from mctltg.tools import build_mcp_server

REPOSITORY = Path(__file__).resolve().parents[2]
KEY = "crash-1"
TEXT = "Meet me at the mill at six"


async def test_a_send_killed_after_telegram_accepted_it_is_never_sent_again_after_restart(
    settings: Settings,
) -> None:
    assert settings.encryption_key is not None
    key_bytes = settings.encryption_key.value
    settings = settings.replace(allow_send=True)
    environment = {**os.environ, "MCTLTG_TEST_ENCRYPTION_KEY": key_bytes.hex()}
    with trio.fail_after(60):
        phase_one = await trio.run_process(
            [sys.executable, "-m", "tests.accounts.kill_after_accept", settings.database_url, "0", KEY, TEXT],
            cwd=REPOSITORY,
            env=environment,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    assert phase_one.returncode == -9, phase_one.stderr.decode()[-2000:]
    assert phase_one.stdout.decode().split() == ["accepted", "1"]

    # What the dead process left behind: the send recorded as pending, never completed.
    async with open_database(settings.database_url) as database:
        operator = await Identities(database).by_subject("operator")
        assert operator is not None
        record = await Sends(database).get(operator.id, f"key:{KEY}")
        assert record is not None
        assert record.state == "pending"
        account = await Accounts(database, Sealer(key_bytes)).for_identity(operator.id)
        assert account is not None
        session = await Accounts(database, Sealer(key_bytes)).load_session(account.id)
        assert session is not None
        auth_key = SealedSession.from_bytes(session).auth_key.key

    world = SandboxWorld()
    demo = seed_demo_world(world)
    world.authorize_key(demo.me, auth_key)
    peer = f"user:{demo.contacts[0]}"
    mark = world.mark()
    with trio.fail_after(30):
        async with open_services(settings, world=world) as services:
            record = await services.sends.get(operator.id, f"key:{KEY}")
            assert record is not None
            assert record.state == "unverified"
            # The delivered message has its audit row although its call never finished.
            audited = await services.audit.page(operator.id, limit=10)
            assert [(e.tool, e.outcome, e.peer_type) for e in audited] == [
                ("send_message:delivery", "unverified", "user")
            ]
            assert (await services.audit.verify()).intact
            async with Client(build_mcp_server(tool_deps(services))) as client:
                result = await client.call_tool(
                    "send_message", {"peer": peer, "text": TEXT, "idempotency_key": KEY}
                )
    assert not result.is_error
    out = result.structured_content
    assert out is not None
    assert out["status"] == "sent_unverified"
    assert out["sent"] is None
    assert out["replayed"] is True
    assert "messages.SendMessageRequest" not in world.calls_since(mark)
