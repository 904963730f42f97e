"""The one door between Trio and the asyncio thread where Telethon lives.

Telethon is asyncio-only and does synchronous CPU work in its callbacks. Running it
on its own event loop in a dedicated thread keeps that work off the Trio thread that
serves HTTP (measured: trio-asyncio stalled the server, this does not; see
``shared/design/stack-findings.md`` §3). Trio code touches Telethon only through
``AsyncioBridge.call``, which propagates cancellation into asyncio and waits,
shielded and bounded, for asyncio's cleanup before returning.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import outcome
import trio

__all__ = ["AsyncioBridge", "BridgeStatistics", "open_asyncio_bridge"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: How long a cancelled call waits for its asyncio task to finish cleaning up.
CANCEL_GRACE_SECONDS = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeStatistics:
    calls_started: int
    calls_in_flight: int


class AsyncioBridge:
    """Runs coroutine functions on the Telethon loop thread from Trio.

    Construct with ``open_asyncio_bridge()``; never directly.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, token: trio.lowlevel.TrioToken) -> None:
        self._loop = loop
        self._token = token
        self._started = 0
        self._in_flight = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``fn(*args)`` on the asyncio thread and return its result to Trio.

        ``fn`` may return a coroutine or any awaitable (Telethon's ``disconnect()``
        returns a plain Future). If the Trio caller is cancelled, the asyncio task is
        cancelled too and this waits (shielded, at most ``CANCEL_GRACE_SECONDS``) for
        it to finish, so no Telethon work outlives its caller.

        Raises:
            Whatever ``fn`` raised; ``trio.BrokenResourceError`` if asyncio cancelled
            the task on its own (the loop is shutting down).
        """
        done = trio.Event()
        box: dict[str, Any] = {}

        def on_done(task: asyncio.Future[T]) -> None:
            box["result"] = None if task.cancelled() else outcome.capture(task.result)
            self._token.run_sync_soon(done.set)

        def start() -> None:
            try:
                task = asyncio.ensure_future(fn(*args), loop=self._loop)
            except BaseException as exc:  # a sync failure while building the call
                box["result"] = outcome.Error(exc)
                self._token.run_sync_soon(done.set)
                return
            box["task"] = task
            task.add_done_callback(on_done)

        self._started += 1
        self._in_flight += 1
        try:
            self._loop.call_soon_threadsafe(start)
            try:
                await done.wait()
            except trio.Cancelled:
                self._loop.call_soon_threadsafe(_cancel_task, box)
                with trio.CancelScope(shield=True), trio.move_on_after(CANCEL_GRACE_SECONDS):
                    await done.wait()
                raise
        finally:
            self._in_flight -= 1
        result = box.get("result")
        if result is None:
            raise trio.BrokenResourceError("the Telegram thread cancelled the call")
        return result.unwrap()  # type: ignore[no-any-return]  # outcome is untyped

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Schedule a plain callback on the asyncio thread without waiting (thread-safe)."""
        self._loop.call_soon_threadsafe(fn, *args)

    def to_trio(self, fn: Callable[..., Any], *args: Any) -> None:
        """From the asyncio thread: schedule a sync callback on the Trio thread."""
        self._token.run_sync_soon(fn, *args)

    def statistics(self) -> BridgeStatistics:
        return BridgeStatistics(calls_started=self._started, calls_in_flight=self._in_flight)


def _cancel_task(box: dict[str, Any]) -> None:
    task = box.get("task")
    if task is not None:
        task.cancel()


@asynccontextmanager
async def open_asyncio_bridge() -> AsyncIterator[AsyncioBridge]:
    """Start the Telethon loop thread; on exit stop it and join it.

    Entering blocks until the loop runs. Exiting cancels whatever asyncio tasks are
    left, lets them finish, closes the loop and joins the thread (shielded, so a
    cancelled parent still cleans up).
    """
    token = trio.lowlevel.current_trio_token()
    ready = threading.Event()
    holder: dict[str, asyncio.AbstractEventLoop] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        holder["loop"] = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="telethon-loop", daemon=True)
    thread.start()
    await trio.to_thread.run_sync(ready.wait)
    bridge = AsyncioBridge(holder["loop"], token)
    try:
        yield bridge
    finally:
        holder["loop"].call_soon_threadsafe(holder["loop"].stop)
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(thread.join, 10.0)
        if thread.is_alive():
            logger.error("the Telegram loop thread did not stop within 10 s")
