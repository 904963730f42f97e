"""The switchboard: where connected senders meet the world's state, under the world's lock.

For each request it records the call, consults the fault book, routes the unwrapped
request to its handler by class, and turns the handler's answer into exactly what
Telethon would have read off the wire (feeding the caller's own updates on the way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mctltg.sandbox import (
    handlers_actions,
    handlers_drafts,
    handlers_entities,
    handlers_forums,
    handlers_login,
    handlers_media,
    handlers_people,
    handlers_reading,
    handlers_search,
    handlers_session,
    handlers_upload,
    handlers_writing,
)
from mctltg.sandbox.dispatch import Call, Route, remember_device, unwrap
from mctltg.sandbox.engine import RpcFault
from mctltg.sandbox.state import CallRecord, KeyRecord, WorldState
from mctltg.sandbox.tl import decode_answer, request_name

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from mctltg.sandbox.faults import Fault
    from mctltg.sandbox.sender import SandboxSender

__all__ = ["NOT_IMPLEMENTED", "Switchboard"]

NOT_IMPLEMENTED = "METHOD_NOT_IMPLEMENTED_IN_SANDBOX"


def _routes() -> dict[type[Any], Route]:
    table: dict[type[Any], Route] = {}
    for module in (
        handlers_session,
        handlers_login,
        handlers_entities,
        handlers_reading,
        handlers_search,
        handlers_writing,
        handlers_actions,
        handlers_people,
        handlers_drafts,
        handlers_forums,
        handlers_upload,
        handlers_media,
    ):
        for route in module.ROUTES:
            table[route.request] = route
    return table


class Switchboard:
    """Connects senders to the world (internal: the world owns one, senders hold it)."""

    def __init__(
        self,
        state: WorldState,
        lock: threading.RLock,
        *,
        clock: Callable[[], float],
        round_trip: bool,
        code_expiry: Callable[[], float],
    ) -> None:
        self.state = state
        self.lock = lock
        self.clock = clock
        self.round_trip = round_trip
        self._code_expiry = code_expiry
        self._routes = _routes()

    def endpoint_connected(self, endpoint: SandboxSender, key: bytes) -> None:
        with self.lock:
            assert endpoint.key_id is not None  # connect() made sure of a key
            if endpoint.key_id not in self.state.keys:
                now = self.clock()
                self.state.keys[endpoint.key_id] = KeyRecord(
                    key_id=endpoint.key_id, key=key, created=now, active=now
                )
            if endpoint not in self.state.endpoints:
                self.state.endpoints.append(endpoint)

    def endpoint_disconnected(self, endpoint: SandboxSender) -> None:
        with self.lock:
            if endpoint in self.state.endpoints:
                self.state.endpoints.remove(endpoint)

    def _key(self, endpoint: SandboxSender) -> KeyRecord:
        key = self.state.keys.get(endpoint.key_id or 0)
        if key is None:
            raise RpcFault(401, "AUTH_KEY_UNREGISTERED")
        return key

    def receive(self, endpoint: SandboxSender, request: Any) -> Fault | None:
        """Record the call; the fault to apply to it, if one is scripted."""
        with self.lock:
            unwrapped = unwrap(request)
            name = request_name(unwrapped.request)
            key = self.state.keys.get(endpoint.key_id or 0)
            user_id = key.user_id if key else None
            self.state.calls.append(CallRecord(name=name, user_id=user_id))
            return self.state.faults.take(name, user_id, at_connect=unwrapped.init is not None)

    def answer(self, endpoint: SandboxSender, request: Any) -> Any:
        """Answer one request as Telethon would read it; own updates are fed to the caller.

        Raises:
            RpcFault: the answer is an RPC error.
        """
        with self.lock:
            unwrapped = unwrap(request)
            inner = unwrapped.request
            key = self._key(endpoint)
            if unwrapped.init is not None:
                remember_device(key, unwrapped.init, unwrapped.layer)
            route = self._routes.get(type(inner))
            if route is None:
                self.state.unimplemented.append(request_name(inner))
                raise RpcFault(400, NOT_IMPLEMENTED)
            now = self.clock()
            call = Call(
                state=self.state,
                key=key,
                endpoint=endpoint,
                now=now,
                code_expiry_seconds=self._code_expiry(),
            )
            if route.login and key.user_id is None:
                raise RpcFault(401, "AUTH_KEY_UNREGISTERED")
            key.active = now
            answer = route.handler(call, inner)
            result = decode_answer(inner, answer) if self.round_trip else answer
            endpoint.feed_own(result)
            return result
