"""The whole server in this process, over real HTTP on a loopback port.

``mctltg.app.run`` exactly as ``mctltg serve`` runs it (Hypercorn, the MCP SDK, the
Quart app, the account pool, Telethon over the sandbox), but in a nursery of the
test, so the test holds the sandbox world (faults, RPC log) and the services.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio

from mctltg.app import Services, run
from mctltg.config import Settings
from mctltg.sandbox import SandboxWorld

__all__ = ["InProcessServer", "serve_in_process"]


@dataclass(frozen=True, slots=True)
class InProcessServer:
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
