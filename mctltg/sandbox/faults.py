"""Scripted failures: RPC errors (flood waits included), stalls, dropped connections, delays,
and lost answers (the world acts, but its answer never reaches the client).

A test adds a :class:`Fault`; the world consults the :class:`FaultBook` for each request it
receives, before answering it. Matching is by request name (as ``calls_since`` reports it),
by the caller's logged-in user, and a count of how many calls it applies to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultBook", "FaultKind"]

FaultKind = Literal["rpc_error", "stall", "drop", "delay", "lose_answer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One scripted failure.

    Attributes:
        kind: ``rpc_error`` answers ``code``/``message``; ``stall`` never answers; ``drop``
            drops the connection (this and every pending call fail with ``ConnectionError``);
            ``delay`` answers after ``seconds`` of real asyncio time; ``lose_answer`` carries
            the request out (a send is delivered) but the answer never arrives, as when the
            connection breaks right after Telegram acted.
        request: Request name as in ``calls_since`` (``"messages.GetDialogsRequest"``);
            ``None`` matches any request except the one ``connect()`` sends.
        user_id: Only calls made by this logged-in user; ``None`` matches anyone.
        times: How many matching calls it applies to; ``None`` means until cleared.
        then: For ``lose_answer``: called on the client's loop thread right after the world
            acted and before anything reaches the client (a test's "the process dies here").
    """

    kind: FaultKind
    request: str | None = None
    user_id: int | None = None
    code: int = 400
    message: str = ""
    seconds: float = 0.0
    times: int | None = 1
    then: Callable[[], object] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1, or None for every call")
        if self.seconds < 0:
            raise ValueError("seconds cannot be negative")
        if self.kind == "rpc_error" and not self.message:
            raise ValueError("an rpc_error fault needs a message such as 'PEER_ID_INVALID'")

    @classmethod
    def rpc_error(cls, code: int, message: str, **kw: Any) -> Fault:
        """Answer ``RpcError(code, message)``; Telethon maps it to its own error class."""
        return cls(kind="rpc_error", code=code, message=message, **kw)

    @classmethod
    def flood_wait(cls, seconds: int, **kw: Any) -> Fault:
        """Answer ``420 FLOOD_WAIT_<seconds>`` (Telethon raises ``FloodWaitError``)."""
        return cls(kind="rpc_error", code=420, message=f"FLOOD_WAIT_{int(seconds)}", seconds=seconds, **kw)

    @classmethod
    def stall(cls, **kw: Any) -> Fault:
        """Never answer: the caller's own deadline must fire."""
        return cls(kind="stall", **kw)

    @classmethod
    def drop(cls, **kw: Any) -> Fault:
        """Drop the connection; ``connect()`` again to resume."""
        return cls(kind="drop", **kw)

    @classmethod
    def delay(cls, seconds: float, **kw: Any) -> Fault:
        """Answer after ``seconds`` of real asyncio time."""
        return cls(kind="delay", seconds=seconds, **kw)

    @classmethod
    def lose_answer(cls, *, then: Callable[[], object] | None = None, **kw: Any) -> Fault:
        """Act on the request but never answer it; ``then()`` runs right after the world acted."""
        return cls(kind="lose_answer", then=then, **kw)

    def matches(self, name: str, user_id: int | None, *, at_connect: bool) -> bool:
        if self.request is None:
            if at_connect:
                return False
        elif self.request != name:
            return False
        return self.user_id is None or self.user_id == user_id


class FaultBook:
    """The active faults, in the order they were added; the first match wins."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[list[Any]] = []  # [fault, remaining or None]

    def add(self, fault: Fault) -> None:
        self._entries.append([fault, fault.times])

    def clear(self) -> None:
        self._entries.clear()

    def take(self, name: str, user_id: int | None, *, at_connect: bool) -> Fault | None:
        """The fault that applies to this call, using up one of its ``times``."""
        for entry in self._entries:
            fault: Fault = entry[0]
            if not fault.matches(name, user_id, at_connect=at_connect):
                continue
            if entry[1] is not None:
                entry[1] -= 1
                if entry[1] <= 0:
                    self._entries.remove(entry)
            return fault
        return None
