"""``SandboxSender``: stands in for Telethon's ``MTProtoSender`` inside ``client._sender``.

Telethon talks to its sender through a small surface (sandbox-seam.md §1): ``connect``,
``disconnect``, ``is_connected``, ``send``, ``disconnected``, ``auth_key`` and two
keepalive hooks. This class implements that surface over the in-process world: each
request is copied through the wire format, answered by the switchboard, and the answer
is read back by Telethon's own reader. ``send`` raises only ``ConnectionError``; every
other failure, a bug in the world included, lands on the returned future.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import logging
import secrets
from typing import TYPE_CHECKING, Any

from telethon import errors, utils
from telethon.crypto import AuthKey
from telethon.tl import types

from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.render import SANDBOX_DC_ID
from mctltg.sandbox.tl import roundtrip_object, roundtrip_request

if TYPE_CHECKING:
    from collections.abc import Callable

    from mctltg.sandbox.switchboard import Switchboard

__all__ = ["SandboxSender", "own_update"]

logger = logging.getLogger(__name__)

_UPDATES_IDS = frozenset(
    cls.CONSTRUCTOR_ID
    for cls in (
        types.UpdateShortMessage,
        types.UpdateShortChatMessage,
        types.UpdateShort,
        types.UpdatesCombined,
        types.Updates,
        types.UpdateShortSentMessage,
    )
)
_AFFECTED_IDS = frozenset(
    cls.CONSTRUCTOR_ID
    for cls in (
        types.messages.AffectedHistory,
        types.messages.AffectedMessages,
        types.messages.AffectedFoundMessages,
    )
)
_WRAPPED_UPDATES_IDS = frozenset(
    cls.CONSTRUCTOR_ID
    for cls in (types.messages.InvitedUsers, getattr(types.messages, "ChatInviteJoinResultOk", None))
    if cls is not None
)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def own_update(result: Any) -> Any | None:
    """What ``MTProtoSender._store_own_updates`` would queue for this answer, if anything."""
    constructor = getattr(result, "CONSTRUCTOR_ID", None)
    if constructor in _UPDATES_IDS:
        return result
    if constructor in _AFFECTED_IDS:
        return types.UpdateShort(
            update=types.UpdateDeleteMessages([], result.pts, result.pts_count), date=_EPOCH
        )
    if constructor in _WRAPPED_UPDATES_IDS:
        return result.updates
    return None


class SandboxSender:
    """A fake MTProto sender bound to one Telethon client and one sandbox world."""

    def __init__(
        self,
        switchboard: Switchboard,
        *,
        auth_key: AuthKey | None,
        auth_key_callback: Callable[[AuthKey], Any] | None,
        updates_queue: asyncio.Queue[Any],
    ) -> None:
        self.auth_key = auth_key if auth_key is not None else AuthKey(None)
        self.dc_id = SANDBOX_DC_ID
        self._switchboard = switchboard
        self._auth_key_callback = auth_key_callback
        self._updates_queue = updates_queue
        self._connection: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connected = False
        self._disconnected_future: asyncio.Future[None] | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # The surface Telethon's client uses

    @property
    def key_id(self) -> int | None:
        return self.auth_key.key_id if self.auth_key.key else None

    async def connect(self, connection: Any) -> bool:
        """Connect (the ``connection`` object is kept but never opened); ``False`` if already so."""
        if self._connected:
            return False
        self._loop = asyncio.get_running_loop()
        self._connection = connection
        if not self.auth_key.key:
            self.auth_key.key = secrets.token_bytes(256)
            if self._auth_key_callback is not None:
                outcome = self._auth_key_callback(self.auth_key)  # sync in 1.39, async in 1.45
                if inspect.isawaitable(outcome):
                    await outcome
        self._disconnected_future = self._loop.create_future()
        self._connected = True
        self._switchboard.endpoint_connected(self, bytes(self.auth_key.key))
        return True

    async def disconnect(self) -> None:
        """Disconnect on the user's request: pending calls are cancelled."""
        if not self._connected:
            return
        self._go_offline()
        for future in list(self._pending):
            future.cancel()
        if self._disconnected_future is not None and not self._disconnected_future.done():
            self._disconnected_future.set_result(None)

    def is_connected(self) -> bool:
        return self._connected

    @property
    def disconnected(self) -> asyncio.Future[None]:
        """Pending while connected; resolves (or fails, after a drop) on disconnection."""
        if self._disconnected_future is None:
            self._disconnected_future = asyncio.get_running_loop().create_future()
            self._disconnected_future.set_result(None)
        return asyncio.shield(self._disconnected_future)

    def send(self, request: Any, ordered: bool = False) -> Any:
        """One future per request (a list for a list).

        Raises:
            ConnectionError: not connected; nothing else is ever raised.
        """
        if not self._connected:
            raise ConnectionError("Cannot send requests while disconnected")
        if utils.is_list_like(request):
            return [self._submit(item) for item in request]
        return self._submit(request)

    def _transport_connected(self) -> bool:
        return self._connected

    def _keepalive_ping(self, ping_id: int) -> None:
        """Keepalive pings have nothing to keep alive here."""

    # The surface the world uses (any thread)

    def push(self, updates: Any) -> None:
        """Queue an ``Updates``-like object for the client's update loop."""
        loop = self._loop
        if loop is None or not self._connected:
            return
        copy = roundtrip_object(updates)
        try:
            loop.call_soon_threadsafe(self._deliver, copy)
        except RuntimeError:  # the client's loop is closed: it can no longer listen
            self._connected = False
            self._switchboard.endpoint_disconnected(self)

    def feed_own(self, result: Any) -> None:
        """Feed an answer's own updates to the client, as the real sender does."""
        item = own_update(result)
        if item is None or self._loop is None:
            return
        item._self_outgoing = True
        self._loop.call_soon_threadsafe(self._deliver, item)

    # Internals

    def _deliver(self, item: Any) -> None:
        if self._connected:
            self._updates_queue.put_nowait(item)

    def _submit(self, request: Any) -> asyncio.Future[Any]:
        assert self._loop is not None  # connected
        future: asyncio.Future[Any] = self._loop.create_future()
        try:
            self._start(request, future)
        except Exception as exc:  # a bug in the world must surface on the future, not hang
            logger.exception("sandbox world failed while receiving a request")
            if not future.done():
                future.set_exception(exc)
        return future

    def _start(self, request: Any, future: asyncio.Future[Any]) -> None:
        if not self._connected:
            future.set_exception(ConnectionError("the sandbox connection was dropped"))
            return
        copy = roundtrip_request(request) if self._switchboard.round_trip else request
        fault = self._switchboard.receive(self, copy)
        if fault is None:
            self._answer(copy, request, future)
        elif fault.kind == "rpc_error":
            future.set_exception(_rpc_error(fault.code, fault.message, request))
        else:
            self._pending.add(future)
            future.add_done_callback(self._pending.discard)
            if fault.kind == "drop":
                self._drop()
            elif fault.kind == "lose_answer":
                self._act_and_lose_answer(copy, request, fault)
            elif fault.kind == "delay":
                task = asyncio.get_running_loop().create_task(
                    self._answer_later(fault.seconds, copy, request, future)
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            # "stall": the future stays pending until the caller gives up or disconnects

    def _act_and_lose_answer(self, copy: Any, request: Any, fault: Any) -> None:
        """The world acts on the request; the answer is thrown away (the caller's future stays pending)."""
        assert self._loop is not None
        sink: asyncio.Future[Any] = self._loop.create_future()
        self._answer(copy, request, sink)
        if sink.done() and not sink.cancelled():
            sink.exception()  # mark retrieved: nobody will ever read this answer
        if fault.then is not None:
            fault.then()

    async def _answer_later(
        self, seconds: float, copy: Any, request: Any, future: asyncio.Future[Any]
    ) -> None:
        await asyncio.sleep(seconds)
        if not future.done() and self._connected:
            self._answer(copy, request, future)

    def _answer(self, copy: Any, request: Any, future: asyncio.Future[Any]) -> None:
        try:
            result = self._switchboard.answer(self, copy)
        except RpcFault as fault:
            outcome: BaseException = _rpc_error(fault.code, fault.message, request)
        except Exception as exc:  # a bug in the world must surface on the future, not hang
            logger.exception("sandbox world failed while answering a request")
            outcome = exc
        else:
            if not future.done():
                future.set_result(result)
            return
        if not future.done():
            future.set_exception(outcome)

    def _go_offline(self) -> None:
        self._connected = False
        self._switchboard.endpoint_disconnected(self)
        for task in list(self._tasks):
            task.cancel()

    def _drop(self) -> None:
        """The connection breaks: every pending call fails with ``ConnectionError``."""
        self._go_offline()
        for future in list(self._pending):
            if not future.done():
                future.set_exception(ConnectionError("the sandbox connection was dropped"))
        done = self._disconnected_future
        if done is not None and not done.done():
            done.set_exception(ConnectionError("the sandbox connection was dropped"))
            done.add_done_callback(lambda f: f.exception())  # mark retrieved: nobody may await it
        # Wake Telethon's update loop so that it notices the disconnection and ends.
        wake = types.Updates(updates=[], users=[], chats=[], date=datetime.datetime.now(datetime.UTC), seq=0)
        self._updates_queue.put_nowait(wake)


def _rpc_error(code: int, message: str, request: Any) -> BaseException:
    error: BaseException = errors.rpc_message_to_error(
        types.RpcError(error_code=code, error_message=message), request
    )
    return error
