"""A server process that dies the instant Telegram accepts a send (run by ``test_gated_send``).

Usage: ``python -m tests.accounts.kill_after_accept DATABASE PEER_INDEX KEY TEXT`` with the
encryption key in ``MCTLTG_TEST_ENCRYPTION_KEY``. It opens the real services over the
database and a sandbox world, provisions the operator's account with sending on, and calls
``send_message`` through the MCP SDK. A sandbox fault lets the world deliver the message,
then — before Telegram's answer reaches Telethon, so before mctltg can record the result —
prints ``accepted <count>`` and kills this process with SIGKILL: no ``finally`` runs.
"""

from __future__ import annotations

import os
import signal
import sys

import trio
from mcp import Client

from mctltg.app import open_services, provision_sandbox_account, tool_deps
from mctltg.config import load_settings
from mctltg.sandbox import Fault, SandboxWorld, seed_demo_world
from mctltg.tools import build_mcp_server


async def main(database: str, peer_index: int, key: str, text: str) -> None:
    settings = load_settings(
        environ={},
        overrides={
            "ADDR": "127.0.0.1:0",
            "AUTH_MODE": "local-dev",
            "AUTH_REQUIRED": "false",
            "TELEGRAM_SANDBOX": "true",
            "ALLOW_SEND": "true",
            "DATABASE_URL": database,
            "ENCRYPTION_KEY": os.environ["MCTLTG_TEST_ENCRYPTION_KEY"],
            "TG_CALL_TIMEOUT": "30",
            "TG_DEVICE_NAME": "mctltg crash test",
        },
    )
    world = SandboxWorld()
    demo = seed_demo_world(world)
    peer = f"user:{demo.contacts[peer_index]}"

    def die() -> None:
        delivered = sum(1 for m in world.history(viewer=demo.me, peer=peer) if m.text == text)
        print(f"accepted {delivered}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    async with open_services(settings, world=world) as services:
        await provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
        world.add_fault(Fault.lose_answer(request="messages.SendMessageRequest", user_id=demo.me, then=die))
        async with Client(build_mcp_server(tool_deps(services))) as client:
            await client.call_tool("send_message", {"peer": peer, "text": text, "idempotency_key": key})
    print("survived", flush=True)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
    sys.exit(3)
