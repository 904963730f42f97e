"""``schedule_at``: when a scheduled send goes out, checked before anything is recorded.

Refused up front when Telegram would refuse it (SCHEDULE_DATE_INVALID,
SCHEDULE_DATE_TOO_LATE): a time without a zone (ambiguous), in the past or too close to
now to arrive before it, or more than 365 days ahead.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Final

from mctltg.errors import InvalidInput

__all__ = ["SCHEDULE_MAX_AHEAD", "SCHEDULE_MIN_AHEAD", "parse_schedule_at"]

#: Telegram refuses a schedule further than 365 days ahead (SCHEDULE_DATE_TOO_LATE).
SCHEDULE_MAX_AHEAD: Final = 365 * 86400.0
#: A time closer than this may have passed before Telegram sees the request.
SCHEDULE_MIN_AHEAD: Final = 60.0
_RFC3339: Final = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})")


def parse_schedule_at(value: str | None, *, now: float | None = None) -> float | None:
    """Epoch seconds for ``schedule_at``, or None when absent.

    Raises:
        InvalidInput: not an RFC 3339 time with a zone, in the past, or over 365 days ahead.
    """
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not _RFC3339.fullmatch(text):
        raise InvalidInput(
            "schedule_at", "must be an RFC 3339 time with a zone, such as 2030-05-01T09:30:00Z"
        )
    try:
        when = dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidInput("schedule_at", "is not a real date and time; check the day and month") from None
    current = time.time() if now is None else now
    if when < current + SCHEDULE_MIN_AHEAD:
        raise InvalidInput("schedule_at", "is in the past or less than a minute away; give a later time")
    if when > current + SCHEDULE_MAX_AHEAD:
        raise InvalidInput("schedule_at", "is more than 365 days ahead, which Telegram refuses")
    return when
