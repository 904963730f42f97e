"""What unauthenticated callers may make this server store: registrations and parked sign-ins.

Dynamic registration (RFC 7591) and the authorization request both write rows before
anyone has signed in, so without bounds anyone could grow the database at will. The
bounds, with their reasons, are also in SECURITY.md:

* registrations: ``REGISTRATIONS_PER_HOUR`` per client address, and at most
  ``MAX_UNUSED_CLIENTS`` clients that never completed an authorization (those expire
  after a day, ``storage/oauth_clients.py``);
* authorization requests parked for sign-in: ``AUTHORIZATIONS_PER_WINDOW`` per client
  address per ``AUTHORIZATION_WINDOW`` (their lifetime), and ``MAX_PARKED`` in all.

The client address is the TCP peer, never ``X-Forwarded-For`` (which any client can
write); behind a reverse proxy every request has the proxy's address and these
per-address limits act server-wide. Pure and clock-injected; the windows live in
memory and hold at most ``MAX_ADDRESSES`` addresses (the oldest is forgotten first).
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Final

__all__ = [
    "AUTHORIZATIONS_PER_WINDOW",
    "AUTHORIZATION_WINDOW",
    "MAX_PARKED",
    "MAX_UNUSED_CLIENTS",
    "REGISTRATIONS_PER_HOUR",
    "AddressLimiter",
    "retry_sentence",
]

REGISTRATIONS_PER_HOUR: Final = 20
MAX_UNUSED_CLIENTS: Final = 1000
AUTHORIZATION_WINDOW: Final = 900.0
AUTHORIZATIONS_PER_WINDOW: Final = 60
MAX_PARKED: Final = 2000
MAX_ADDRESSES: Final = 10_000


def retry_sentence(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"try again in {minutes} minute{'s' if minutes != 1 else ''}"


class AddressLimiter:
    """At most ``limit`` events per ``window`` seconds for each client address."""

    def __init__(self, *, limit: int, window: float, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def admit(self, address: str) -> float | None:
        """Record one event for ``address``; or return the seconds until one more is allowed."""
        now = self._clock()
        events = self._events.pop(address, None) or deque()
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._limit:
            self._events[address] = events
            return events[0] + self._window - now
        events.append(now)
        self._events[address] = events  # most recently seen last
        while len(self._events) > MAX_ADDRESSES:
            self._events.popitem(last=False)
        return None
