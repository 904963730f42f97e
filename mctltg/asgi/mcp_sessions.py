"""A per-identity cap on MCP sessions, in front of the SDK's session manager.

The SDK caps sessions only globally (``max_sessions``): one signed-in identity, even
one without any Telegram scope, could open sessions until the cap was reached and
lock everyone else out of ``/mcp`` with 503, while each idle session held memory for
its idle timeout. This wrapper keeps, per identity, the sessions it opened in
least-recently-used order; when an identity opens one more than its share, its least
recently used session is closed (one with no request in flight first). So no single
identity can hold more than ``per_identity`` of the global ``max_sessions``, and the
rest stays for everyone else.

The owner of a request is the ``sub`` of its bearer token, read without verifying it:
a session is counted only after the SDK answered the opening request with success,
which it does only for a token it verified, so a forged ``sub`` never opens or evicts
anything. Requests without a token (operator mode, one person) are not capped per
identity; the global cap still holds.

It also settles requests that race their session's end. A ``DELETE`` (or the idle
timeout) that ends a session while one of its requests is in flight makes the SDK log
"SSE response error" and then try a second answer, a 500, on a response that already
started with 200 (Hypercorn refuses it and resets the connection), or answer 500 outright
when nothing was sent yet. Neither is a server fault: the client ended the session. So
for a request naming a session, a second ``http.response.start`` is dropped, a 500 (or an
exception) from a session that has ended becomes the 404 "Session not found" any later
request in it gets, and ``/metrics`` never counts the race as a 500.

The SDK offers no public way to close a session from the server side, so
:meth:`SessionGuard._close` is the one place that reaches into its session table
(``_server_instances``, ``_discard_session``); ``tests/load/test_sessions.py`` pins it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from mctltg.asgi.dispatch import ASGIApp, Receive, Scope, Send

Message = MutableMapping[str, Any]

__all__ = ["SessionGuard", "SessionStatistics"]

logger = logging.getLogger(__name__)

_SESSION_HEADER: Final = b"mcp-session-id"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStatistics:
    """Sessions open in the SDK, and how they are shared among identities with a token."""

    open: int
    identities: int
    largest_share: int


class SessionGuard:
    """ASGI wrapper around the SDK's ``/mcp`` app that caps sessions per identity.

    Args:
        app: the SDK's Starlette app (``MCPServer.streamable_http_app``).
        manager: its ``StreamableHTTPSessionManager``.
        per_identity: sessions one identity may hold; None when there are no identities
            (operator mode: one person, no tokens), which only counts sessions.
    """

    def __init__(self, app: ASGIApp, manager: Any, *, per_identity: int | None) -> None:
        if per_identity is not None and per_identity < 1:
            raise ValueError("per_identity must be at least 1")
        self._app = app
        self._manager = manager
        self._per_identity = per_identity
        # owner -> session id -> requests in flight; order is least recently used first.
        self._owned: dict[str, OrderedDict[str, int]] = {}
        self._owner_of: dict[str, str] = {}

    def statistics(self) -> SessionStatistics:
        self._prune_all()
        shares = [len(sessions) for sessions in self._owned.values()]
        return SessionStatistics(
            open=len(self._live()), identities=len(shares), largest_share=max(shares, default=0)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        owner = None if self._per_identity is None else _owner(scope)
        session_id = _header(scope, _SESSION_HEADER)
        if session_id is not None:
            send = _AnswerOnce(send, ended=functools.partial(self._ended, session_id))
            try:
                await self._route(owner, session_id, scope, receive, send)
            except Exception:
                if not self._ended(session_id):
                    raise
                logger.info("mcp request ended with its session (the client ended it while it ran)")
                await send.settle()
            return
        await self._route(owner, session_id, scope, receive, send)

    async def _route(
        self, owner: str | None, session_id: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if owner is None:
            await self._app(scope, receive, send)
        elif session_id is None:
            await self._open(owner, scope, receive, send)
        else:
            await self._use(session_id, scope, receive, send)

    async def _open(self, owner: str, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            await send(message)
            if message["type"] != "http.response.start" or message.get("status", 500) >= 400:
                return
            opened = _header(message, _SESSION_HEADER)
            if opened is not None:
                await self._register(owner, opened)

        await self._app(scope, receive, watch)

    async def _use(self, session_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        owner = self._owner_of.get(session_id)
        sessions = None if owner is None else self._owned.get(owner)
        if sessions is None or session_id not in sessions:
            await self._app(scope, receive, send)
            return
        sessions[session_id] += 1
        sessions.move_to_end(session_id)
        try:
            await self._app(scope, receive, send)
        finally:
            if session_id in sessions:
                sessions[session_id] -= 1

    async def _register(self, owner: str, session_id: str) -> None:
        sessions = self._owned.setdefault(owner, OrderedDict())
        self._prune(owner)
        sessions[session_id] = 0
        self._owner_of[session_id] = owner
        while self._per_identity is not None and len(sessions) > self._per_identity:
            idle = [sid for sid, busy in sessions.items() if busy == 0 and sid != session_id]
            victim = idle[0] if idle else next(iter(sessions))
            self._forget(victim)
            logger.info("mcp session closed: its identity opened more than its share of sessions")
            await self._close(victim)

    def _forget(self, session_id: str) -> None:
        owner = self._owner_of.pop(session_id, None)
        if owner is None:
            return
        sessions = self._owned.get(owner)
        if sessions is not None:
            sessions.pop(session_id, None)
            if not sessions:
                del self._owned[owner]

    def _prune(self, owner: str) -> None:
        """Forget the owner's sessions the SDK already closed (idle timeout, DELETE, crash)."""
        live = self._live()
        for session_id in [sid for sid in self._owned.get(owner, ()) if sid not in live]:
            self._forget(session_id)

    def _prune_all(self) -> None:
        live = self._live()
        for session_id in [sid for sid in self._owner_of if sid not in live]:
            self._forget(session_id)

    def _live(self) -> Any:
        return self._manager._server_instances

    def _ended(self, session_id: str) -> bool:
        """Whether the session is gone or terminated (DELETE, idle timeout, eviction)."""
        transport = self._live().get(session_id)
        return transport is None or bool(transport.is_terminated)

    async def _close(self, session_id: str) -> None:
        transport = self._live().get(session_id)
        if transport is not None:
            await self._manager._discard_session(session_id, transport)


_ENDED_BODY: Final = json.dumps(
    {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Session not found"}}
).encode()


class _AnswerOnce:
    """A ``send`` that lets one answer through; a session's late 500 becomes its 404 (module docstring)."""

    def __init__(self, send: Send, *, ended: Callable[[], bool]) -> None:
        self._send = send
        self._ended = ended
        self._state = "fresh"  # then "passing" (forwarding the answer) or "dropping"

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if self._state != "fresh":
                self._state = "dropping"  # a second answer cannot reach the client
                return
            if message.get("status", 500) >= 500 and self._ended():
                await self.settle()
                return
            self._state = "passing"
        elif message["type"] == "http.response.body" and self._state != "passing":
            return
        await self._send(message)

    async def settle(self) -> None:
        """Answer 404 "Session not found" unless an answer already started."""
        if self._state != "fresh":
            return
        self._state = "dropping"
        await self._send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_ENDED_BODY)).encode()),
                ],
            }
        )
        await self._send({"type": "http.response.body", "body": _ENDED_BODY})


def _header(holder: Scope | Message, name: bytes) -> str | None:
    for key, value in holder.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _owner(scope: Scope) -> str | None:
    """The ``sub`` claim of the request's bearer token (unverified; see the module docstring)."""
    authorization = _header(scope, b"authorization")
    if authorization is None or authorization[:7].lower() != "bearer ":
        return None
    parts = authorization[7:].strip().split(".")
    if len(parts) != 3:
        return "malformed"
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return "malformed"
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return str(subject) if subject is not None else "malformed"
