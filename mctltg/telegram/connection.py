"""One Telethon client, driven from Trio: connect, call with a deadline, disconnect.

``TelegramConnection`` is the only object above the bridge that holds a Telethon
client. Every call goes through ``run``, which executes an asyncio-side operation
(``op(client)``, see ``telegram/on_loop/``) on the Telethon thread under
``trio.fail_after`` and translates Telethon's errors into ``mctltg.errors``. Telethon's
own ``connect()`` has no handshake timeout, so ``connect`` is bounded here too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import trio

from mctltg.errors import SessionDead, TelegramTimeout, TelegramUnavailable
from mctltg.telegram.bridge import AsyncioBridge
from mctltg.telegram.error_map import translate
from mctltg.telegram.model import PeerRef
from mctltg.telegram.session import SealedSession

__all__ = ["ClientFactory", "TelegramConnection"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: An operation that runs ON the Telethon thread with the client; it never leaves ``telegram/``.
Operation = Callable[[Any], Awaitable[T]]


class ClientFactory(Protocol):
    """Builds a Telethon client for a session; runs ON the Telethon loop thread.

    The composition root picks the implementation: real Telegram (``telegram/on_loop/factory.py``)
    or the sandbox world, which swaps the client's MTProto sender after construction.
    """

    def __call__(self, session: SealedSession) -> Any: ...


class TelegramConnection:
    """A Telethon client owned by exactly one account task.

    Args:
        bridge: the door to the Telethon loop thread.
        factory: builds the client on that thread.
        session: the account's session; mutated only on the Telethon thread.
        call_timeout: the deadline of every ``run``.

    Telegram pushes updates to every client, and Telethon's update loop handles them. What
    uses them: a login's QR step (it waits for ``updateLoginToken``), and every client's
    session, which learns access hashes and its update state from them. They stay on
    because Telethon's only switch (``receive_updates=False``) wraps each request in
    ``invokeWithoutUpdates``, and Telethon then remembers a flood wait under that wrapper
    instead of the method: a second call inside a flood wait would reach Telegram again
    (``tests/tools/test_call_discipline.py`` shows it).
    """

    def __init__(
        self, bridge: AsyncioBridge, factory: ClientFactory, session: SealedSession, *, call_timeout: float
    ) -> None:
        self._bridge = bridge
        self._factory = factory
        self.session = session
        self._call_timeout = call_timeout
        self._client: Any = None

    @property
    def has_client(self) -> bool:
        """True between ``connect`` and ``disconnect``."""
        return self._client is not None

    async def connect(self, *, timeout: float) -> bool:  # noqa: ASYNC109 (a Telegram handshake deadline, not a trio idiom)
        """Build the client and connect; True when the session is logged in.

        Raises:
            TelegramTimeout: the handshake took longer than ``timeout``.
            TelegramUnavailable: the connection was refused or dropped.
        """
        self._client = await self._bridge.call(_build, self._factory, self.session)
        try:
            with trio.fail_after(timeout):
                await self._bridge.call(self._client.connect)
                return bool(await self._bridge.call(self._client.is_user_authorized))
        except trio.TooSlowError:
            raise TelegramTimeout("connect", timeout) from None
        except (ConnectionError, trio.BrokenResourceError):
            raise TelegramUnavailable("connect") from None
        except Exception as exc:
            # connect() sends InitConnection straight to the sender: a dead key surfaces here raw.
            mapped = translate(exc, operation="connect")
            if mapped is None:
                raise
            raise mapped from None

    async def run(self, operation: str, op: Operation[T], *, peer: PeerRef | None = None) -> T:
        """Run ``op(client)`` on the Telethon thread under the call deadline.

        ``peer`` names the peer in error messages only.

        Raises:
            TelegramTimeout, TelegramUnavailable, FloodWait, SessionDead, PeerInvalid,
            TelegramRpcError: translated from what Telethon raised; any mctltg error
            the operation raises itself passes through unchanged.
        """
        return await self._call(operation, op, peer)

    async def run_and_snapshot(
        self, operation: str, op: Operation[T], *, peer: PeerRef | None = None
    ) -> tuple[T, bytes | None]:
        """``run``, also returning the session's bytes when the call changed them.

        One crossing to the Telethon thread and back does both, so a tool call costs one
        thread hop; the caller writes the bytes back (``SealedSession.dirty`` is read and
        cleared on the thread that mutates it).
        """
        session = self.session

        async def with_snapshot(client: Any) -> tuple[T, bytes | None]:
            result = await op(client)
            return result, _take_dirty(session)

        return await self._call(operation, with_snapshot, peer)

    async def _call(self, operation: str, op: Operation[T], peer: PeerRef | None) -> T:
        client = self._client
        if client is None:
            raise TelegramUnavailable(operation)
        try:
            with trio.fail_after(self._call_timeout):
                return await self._bridge.call(op, client)
        except trio.TooSlowError:
            raise TelegramTimeout(operation, self._call_timeout) from None
        except trio.BrokenResourceError:
            # the client was disconnected under the call (its account is stopping)
            raise TelegramUnavailable(operation) from None
        except Exception as exc:
            mapped = translate(exc, operation=operation, peer=str(peer) if peer is not None else None)
            if mapped is None:
                raise
            raise mapped from None

    async def wait_disconnected(self) -> None:
        """Return when the connection drops; a cancelled wait leaves the client alone."""
        if self._client is None:
            return
        await self._bridge.call(_wait_disconnected, self._client)

    async def snapshot_if_dirty(self) -> bytes | None:
        """The session's bytes if anything changed since the last snapshot, else None."""
        return await self._bridge.call(_snapshot, self.session, False)

    async def snapshot(self) -> bytes:
        result = await self._bridge.call(_snapshot, self.session, True)
        assert result is not None
        return result

    async def disconnect(self) -> None:
        """Disconnect (bounded, shielded by the caller's ``finally``); never raises."""
        client, self._client = self._client, None
        if client is None:
            return
        with trio.move_on_after(5) as scope:
            try:
                await self._bridge.call(_disconnect, client)
            except Exception:
                logger.warning("disconnect failed", exc_info=True)
        if scope.cancelled_caught:
            logger.warning("disconnect did not finish within 5 s")

    async def log_out(self) -> None:
        """Ask Telegram to end this session (best effort), then disconnect."""
        client = self._client
        if client is not None:
            with trio.move_on_after(self._call_timeout):
                try:
                    await self._bridge.call(client.log_out)
                except (SessionDead, Exception):
                    logger.info("log_out failed; the session is discarded anyway", exc_info=True)
        await self.disconnect()


async def _build(factory: ClientFactory, session: SealedSession) -> Any:
    return factory(session)


async def _wait_disconnected(client: Any) -> None:
    # shield: cancelling our wait must not cancel Telethon's own ``disconnected`` future
    await asyncio.shield(client.disconnected)


async def _snapshot(session: SealedSession, force: bool) -> bytes | None:
    if force:
        session.dirty = False
        return session.to_bytes()
    return _take_dirty(session)


def _take_dirty(session: SealedSession) -> bytes | None:
    """The session's bytes if they changed since the last snapshot (ON the Telethon thread)."""
    if not session.dirty:
        return None
    session.dirty = False
    return session.to_bytes()


async def _disconnect(client: Any) -> None:
    await client.disconnect()
