"""Helpers for tests that drive real Telethon clients against a :class:`SandboxWorld`.

Shipped with the package (as ``trio.testing`` is) so every test suite of the product can
use them: a session string for a sandbox key, a hand-moved clock, a bounded asyncio
runner for sync tests, and a client context manager that always disconnects (a
connected client left behind hangs interpreter shutdown, see sandbox-seam.md §5).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, TypeVar

from telethon import TelegramClient
from telethon.crypto import AuthKey
from telethon.sessions import StringSession

from mctltg.sandbox.handlers_session import SANDBOX_DC_ADDRESS
from mctltg.sandbox.render import SANDBOX_DC_ID

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Coroutine

    from mctltg.sandbox.world import SandboxWorld

__all__ = ["ManualClock", "drain_updates", "open_client", "run_bounded", "sandbox_session_string"]

T = TypeVar("T")


def sandbox_session_string(auth_key: bytes) -> str:
    """A ``StringSession`` string on the sandbox DC carrying ``auth_key``.

    Pair it with :meth:`SandboxWorld.authorize_new_key` to start a client already logged in.
    """
    session = StringSession()
    session.set_dc(SANDBOX_DC_ID, SANDBOX_DC_ADDRESS, 443)
    session.auth_key = AuthKey(auth_key)
    return str(session.save())


class ManualClock:
    """A wall clock that only moves when told to (pass it as ``SandboxWorld(clock=…)``)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def run_bounded(scenario: Callable[[], Coroutine[Any, Any, T]], *, deadline: float = 20.0) -> T:
    """Run an async scenario on a fresh asyncio loop, failing after ``deadline`` seconds."""

    async def bounded() -> T:
        return await asyncio.wait_for(scenario(), deadline)

    return asyncio.run(bounded())


@contextlib.asynccontextmanager
async def open_client(
    world: SandboxWorld,
    *,
    key: bytes | None = None,
    device_model: str = "sandbox test",
    connect_timeout: float = 5.0,
    **options: Any,
) -> AsyncIterator[TelegramClient]:
    """A connected ``TelegramClient`` on ``world``, disconnected on exit.

    Args:
        key: An auth key from :meth:`SandboxWorld.authorize_new_key` (logged in), or
            ``None`` for a fresh, logged-out key.
        **options: More ``TelegramClient`` arguments (``flood_sleep_threshold`` is 0 unless
            given, so flood waits raise instead of sleeping).
    """
    session = StringSession(sandbox_session_string(key)) if key else StringSession()
    options.setdefault("flood_sleep_threshold", 0)
    options.setdefault("receive_updates", True)
    client = TelegramClient(session, api_id=1, api_hash="sandbox", device_model=device_model, **options)
    world.attach(client)
    try:
        await asyncio.wait_for(client.connect(), connect_timeout)
        yield client
    finally:
        await client.disconnect()


async def drain_updates(client: TelegramClient) -> None:
    """Let the client's update loop process what the world has queued for it so far."""
    for _ in range(200):
        await asyncio.sleep(0)
        if client._updates_queue.empty():
            break
    await asyncio.sleep(0.01)
