"""A whole mctltg server (HTTP included) in a process of its own, for the process-fault tests.

Usage: ``python -m tests.faults.server_child MODE DATABASE`` with the encryption key
in ``MCTLTG_TEST_ENCRYPTION_KEY``. It runs ``mctltg.app.run`` over the sandbox and
prints ``MCP endpoint: <url>`` once it serves. Modes:

* ``send``: the operator's account (Ada) may send; the world delivers the first
  ``SendMessage`` and then SIGKILLs this process before Telethon sees the answer
  (printing ``accepted <copies delivered>`` first) — the worst moment to die.
* ``login``: Grace's account is connected under identity ``tg:grace``; the operator
  starts a phone login whose ``auth.sendCode`` never gets an answer, and this prints
  ``login in flight`` once Telegram has the request. The test then sends SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys

import trio

from mctltg import app
from mctltg.config import load_settings
from mctltg.observability import configure_logs
from mctltg.sandbox import Fault, SandboxWorld, seed_demo_world


async def main(mode: str, database: str) -> None:
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
            "TG_DEVICE_NAME": "mctltg fault test",
            "SHUTDOWN_GRACE": "1",
            "LOG_LEVEL": "WARNING",
        },
    )
    configure_logs(settings.log_level_number, sandbox=True)
    world = SandboxWorld()
    demo = seed_demo_world(world)
    peer = f"user:{demo.contacts[0]}"

    def die() -> None:
        delivered = sum(
            1 for m in world.history(viewer=demo.me, peer=peer) if m.text == "Meet me at the mill"
        )
        print(f"accepted {delivered}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    async with trio.open_nursery() as nursery:

        async def login(services: app.Services) -> None:
            operator = await services.identities.ensure("operator")
            try:
                await services.logins.start_phone(operator.id, demo.me_phone)
            except Exception as exc:  # the shutdown ends the login; say how, never crash
                print(f"login ended: {type(exc).__name__}", flush=True)

        async def on_ready(services: app.Services, binds: list[str]) -> None:
            if mode == "send":
                await app.provision_sandbox_account(services, telegram_user_id=demo.me, send_enabled=True)
                world.add_fault(
                    Fault.lose_answer(request="messages.SendMessageRequest", user_id=demo.me, then=die)
                )
            else:
                await app.provision_sandbox_account(
                    services, telegram_user_id=demo.second, subject="tg:grace"
                )
                world.add_fault(Fault.stall(request="auth.SendCodeRequest"))
                mark = world.mark()
                nursery.start_soon(login, services)
                while "auth.SendCodeRequest" not in world.calls_since(mark):
                    await trio.sleep(0.01)
                print("login in flight", flush=True)
            print(f"MCP endpoint: {binds[0]}/mcp", flush=True)

        await app.run(settings, world=world, on_ready=on_ready)
        nursery.cancel_scope.cancel()
    print("stopped", flush=True)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], sys.argv[2])
