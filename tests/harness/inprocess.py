"""The whole server in this process, over real HTTP on a loopback port.

``mctltg.app.run`` exactly as ``mctltg serve`` runs it (Hypercorn, the MCP SDK, the
Quart app, the account pool, Telethon over the sandbox), but in a nursery of the
test, so the test holds the sandbox world (faults, RPC log) and the services.
:func:`serve_in_process` is the one way a test starts it; :func:`serve_provisioned`
adds a known public URL and the demo person's connected account on top.
"""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio

from mctltg.app import Services, provision_sandbox_account, run
from mctltg.config import Settings
from mctltg.sandbox import DemoWorld, SandboxWorld
from tests.harness.settings import sandbox_settings

__all__ = ["InProcessServer", "free_port", "serve_in_process", "serve_provisioned"]


@dataclass(frozen=True, slots=True)
class InProcessServer:
    """A running server: where it listens and the services behind it."""

    base_url: str
    services: Services

    @property
    def mcp_url(self) -> str:
        return self.base_url + "/mcp"

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


@asynccontextmanager
async def serve_in_process(settings: Settings, world: SandboxWorld) -> AsyncIterator[InProcessServer]:
    """Run the server until the block ends; ``settings`` should bind port 0."""
    stop = trio.Event()
    ready: list[Services] = []

    async def on_ready(services: Services, binds: list[str]) -> None:
        ready.append(services)

    async with trio.open_nursery() as nursery:
        with trio.fail_after(30):
            binds = await nursery.start(
                lambda task_status: run(
                    settings,
                    world=world,
                    shutdown_trigger=stop.wait,
                    on_ready=on_ready,
                    task_status=task_status,
                )
            )
        yield InProcessServer(base_url=binds[0], services=ready[0])
        stop.set()


@asynccontextmanager
async def serve_provisioned(
    tmp_path: Path,
    world: SandboxWorld,
    demo: DemoWorld,
    *,
    provision: bool = True,
    send_enabled: bool = False,
    **overrides: str,
) -> AsyncIterator[InProcessServer]:
    """The server over ``world`` at a known ``PUBLIC_BASE_URL``, with the demo person's account.

    Operator mode unless ``overrides`` say otherwise; the account belongs to the operator
    there, and to the person's own identity (``tg:<id>``) in OAuth mode.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    values = {"ADDR": f"127.0.0.1:{port}", "PUBLIC_BASE_URL": base_url, **overrides}
    settings = sandbox_settings(tmp_path, **values)
    async with serve_in_process(settings, world) as server:
        if provision:
            subject = "operator" if settings.operator_mode else f"tg:{demo.me}"
            with trio.fail_after(30):
                await provision_sandbox_account(
                    server.services, telegram_user_id=demo.me, subject=subject, send_enabled=send_enabled
                )
        yield server


def free_port() -> int:
    """A free loopback port for a server whose URL must be known before it binds.

    Drawn at random below the kernel's ephemeral range (32768+): a port the kernel hands
    out for ``bind(0)`` or an outgoing connection in a parallel test can then never
    collide with it between this check and the server's bind.
    """
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free loopback port between 20000 and 32000")
