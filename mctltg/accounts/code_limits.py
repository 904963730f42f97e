"""How often login codes may be asked for: per person, per phone number, and server-wide.

Every phone login makes Telegram send a code (``auth.sendCode``) to somebody's phone.
Unbounded, that lets one signed-in person spray codes at a stranger's number, and
Telegram answers a burst of code requests from one ``api_id`` by banning the api_id,
which would end every login on this server. So code requests are counted in sliding
windows and refused, before Telegram is asked, once any window is full:

* per identity — one person cannot try number after number;
* per phone number — nobody, across identities, can flood one number (the number is
  kept only as a keyed digest in memory, never stored or logged);
* server-wide — the api_id stays well below what Telegram tolerates.

The refusal is one sentence naming which limit was reached and when to try again.
Pure and clock-injected: the windows live in memory (a restart forgets them, which
only ever allows more, never less, than these limits within one run) and their size
is bounded because nothing is recorded once the server-wide window is full.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from mctltg.crypto import random_token
from mctltg.errors import PermissionDenied

__all__ = ["CodeLimitPolicy", "CodeLimits", "CodeRequestsLimited"]

HOUR: Final = 3600.0


class CodeRequestsLimited(PermissionDenied):
    """Too many login codes were asked for; ``retry_after`` seconds until one more is allowed."""

    def __init__(self, whose: str, retry_after: float) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(
            f"Too many login codes were requested {whose} in the last hour; "
            f"try again in {minutes} {unit}, or sign in with the QR code instead."
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeLimitPolicy:
    """Code requests allowed per ``window`` seconds, for each key."""

    per_identity: int = 5
    per_phone: int = 3
    server_wide: int = 30
    window: float = HOUR


@dataclass(slots=True)
class _Window:
    limit: int
    times: deque[float] = field(default_factory=deque)

    def retry_after(self, now: float, window: float) -> float | None:
        """None if one more fits; else seconds until the oldest request leaves the window."""
        while self.times and self.times[0] <= now - window:
            self.times.popleft()
        if len(self.times) < self.limit:
            return None
        return self.times[0] + window - now


class CodeLimits:
    """Admits or refuses each login-code request.

    Args:
        policy: the limits.
        clock: seconds (wall or monotonic; only differences matter).
    """

    def __init__(self, policy: CodeLimitPolicy | None = None, *, clock: Callable[[], float]) -> None:
        self.policy = policy or CodeLimitPolicy()
        self._clock = clock
        self._phone_key = random_token(32).encode()
        self._server = _Window(self.policy.server_wide)
        self._identities: dict[int, _Window] = {}
        self._phones: dict[str, _Window] = {}

    def admit(self, identity_id: int, phone: str) -> None:
        """Record one code request for ``identity_id`` to ``phone`` (normalized), or refuse it.

        Raises:
            CodeRequestsLimited: a window is full; nothing was recorded.
        """
        now = self._clock()
        window = self.policy.window
        phone_digest = hmac.new(self._phone_key, phone.encode(), hashlib.sha256).hexdigest()
        mine = self._identities.get(identity_id) or _Window(self.policy.per_identity)
        number = self._phones.get(phone_digest) or _Window(self.policy.per_phone)
        for whose, counted in (
            ("by you", mine),
            ("for this phone number", number),
            ("on this server", self._server),
        ):
            wait = counted.retry_after(now, window)
            if wait is not None:
                raise CodeRequestsLimited(whose, wait)
        self._forget_idle(now)
        for counted in (mine, number, self._server):
            counted.times.append(now)
        self._identities[identity_id] = mine
        self._phones[phone_digest] = number

    def _forget_idle(self, now: float) -> None:
        window = self.policy.window
        for key in [key for key, counted in self._identities.items() if _idle(counted, now, window)]:
            del self._identities[key]
        for digest in [digest for digest, counted in self._phones.items() if _idle(counted, now, window)]:
            del self._phones[digest]


def _idle(counted: _Window, now: float, window: float) -> bool:
    counted.retry_after(now, window)  # drops requests that left the window
    return not counted.times
