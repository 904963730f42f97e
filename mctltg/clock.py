"""The one injectable wall clock: seconds since the epoch, for everything that expires.

Token, code, login and session expiry, rate-limit windows and the ``*_at`` columns read
wall time, because they are compared with times stored in the database or written into
tokens, which outlive the process. Deadlines and sleeps are not wall time: they use
Trio's own clock (``trio.fail_after``, ``trio.sleep``), which tests replace with
``trio.testing.MockClock``.

The composition root (``mctltg.app``) builds one clock and hands it to every component,
so a test that moves time moves it for the whole server at once.
"""

from __future__ import annotations

import time
from typing import Final, Protocol

__all__ = ["SYSTEM_CLOCK", "Clock"]


class Clock(Protocol):
    """Wall time in seconds since the epoch. ``time.time`` is one; a test's movable clock is another."""

    def __call__(self) -> float: ...


#: The real wall clock; what a server runs on unless a test gives it another.
SYSTEM_CLOCK: Final[Clock] = time.time
