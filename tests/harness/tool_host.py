"""The tools over a live sandbox account, on a Trio loop in a thread of their own.

Hypothesis drives synchronous test functions, and pytest-trio would give each
example a fresh ``trio.run``, cut off from the services the fixture opened. So the
server side lives in one background ``trio.run`` for the whole test, and each
example calls into it with ``trio.from_thread.run``: one server, many examples,
exactly as a long-lived server meets a stream of bad calls.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import trio
from mcp import Client
from mcp_types import CallToolResult

from mctltg.app import open_services, provision_sandbox_account, tool_deps
from mctltg.sandbox import SandboxWorld, seed_demo_world
from mctltg.tools import build_mcp_server
from tests.harness.settings import sandbox_settings

__all__ = ["ToolHost", "host_tools"]


class ToolHost:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._client: Client | None = None
        self.failure: BaseException | None = None

    async def _main(self) -> None:
        world = SandboxWorld()
        demo = seed_demo_world(world)
        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        async with open_services(sandbox_settings(self._folder), world=world) as services:
            await provision_sandbox_account(services, telegram_user_id=demo.me)
            async with Client(build_mcp_server(tool_deps(services))) as client:
                self._client = client
                self._ready.set()
                await self._stop.wait()

    def _run(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.failure = exc
        finally:
            self._ready.set()

    def call(self, tool: str, arguments: dict[str, Any]) -> CallToolResult:
        assert self._client is not None, self.failure
        client = self._client

        async def go() -> CallToolResult:
            with trio.fail_after(20):
                return await client.call_tool(tool, arguments)

        return trio.from_thread.run(go, trio_token=self._token)

    def input_schema(self, tool: str) -> dict[str, Any]:
        assert self._client is not None, self.failure
        client = self._client

        async def go() -> dict[str, Any]:
            tools = (await client.list_tools()).tools
            return next(t for t in tools if t.name == tool).input_schema

        return trio.from_thread.run(go, trio_token=self._token)

    def tool_names(self) -> dict[str, dict[str, Any]]:
        assert self._client is not None, self.failure
        client = self._client

        async def go() -> dict[str, dict[str, Any]]:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

        return trio.from_thread.run(go, trio_token=self._token)

    def stop(self) -> None:
        if self._stop is not None and self._token is not None:
            with contextlib.suppress(trio.RunFinishedError):
                trio.from_thread.run_sync(self._stop.set, trio_token=self._token)


@contextlib.contextmanager
def host_tools(folder: Path) -> Iterator[ToolHost]:
    host = ToolHost(folder)
    thread = threading.Thread(target=host._run, name="tool-host", daemon=True)
    thread.start()
    try:
        if not host._ready.wait(60) or host.failure is not None:
            raise AssertionError(f"the tool host did not start: {host.failure!r}")
        yield host
    finally:
        host.stop()
        thread.join(30)
        if host.failure is not None:
            raise host.failure
