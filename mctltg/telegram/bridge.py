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
        call = _Call(self._token, fn, args)
        self._started += 1
        self._in_flight += 1
        try:
            self._loop.call_soon_threadsafe(call.start, self._loop)
            try:
                await call.done.wait()
            except trio.Cancelled:
                self._loop.call_soon_threadsafe(call.cancel)
                with trio.CancelScope(shield=True), trio.move_on_after(CANCEL_GRACE_SECONDS):
                    await call.done.wait()
                raise
        finally:
            self._in_flight -= 1
        result = call.result
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


class _Call:
    """One crossing: started on the asyncio thread, its outcome handed back to Trio.

    One object with bound methods instead of a dict and two closures per call: the
    crossing is on every tool call's path, so its own allocations are kept few.
    """

    __slots__ = ("args", "done", "fn", "result", "task", "token")

    def __init__(
        self, token: trio.lowlevel.TrioToken, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]
    ) -> None:
        self.token = token
        self.fn = fn
        self.args = args
        self.done = trio.Event()
        self.result: outcome.Outcome[Any] | None = None  # None: asyncio cancelled the task
        self.task: asyncio.Future[Any] | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the asyncio thread."""
        try:
            task = asyncio.ensure_future(self.fn(*self.args), loop=loop)
        except BaseException as exc:  # a sync failure while building the call
            self.result = outcome.Error(exc)
            self.token.run_sync_soon(self.done.set)
            return
        self.task = task
        task.add_done_callback(self.finished)

    def finished(self, task: asyncio.Future[Any]) -> None:
        """On the asyncio thread, when the task is done."""
        self.result = None if task.cancelled() else outcome.capture(task.result)
        self.token.run_sync_soon(self.done.set)

    def cancel(self) -> None:
        """On the asyncio thread: the Trio caller was cancelled."""
        if self.task is not None:
            self.task.cancel()


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
