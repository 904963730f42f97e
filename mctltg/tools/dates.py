"""Date bounds for search: RFC 3339 or a plain ``YYYY-MM-DD``, read as UTC, inclusive.

A plain date means the start of that day for a lower bound and its last second for an
upper bound. Telegram stores dates as 32-bit seconds, so bounds must fall between
1970-01-01 and 2038-01-19.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from mctltg.errors import InvalidInput

__all__ = ["date_bounds", "parse_date_bound"]

_PLAIN: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOWEST: Final = 0.0
_HIGHEST: Final = float(2**31 - 1)
_FORMS: Final = "an RFC 3339 time such as 2024-05-01T09:30:00Z or a date such as 2024-05-01"


def parse_date_bound(field: str, value: str | None, *, end_of_day: bool) -> float | None:
    """Seconds since the epoch for a bound, or None when absent.

    Raises:
        InvalidInput: the text is neither form, or the time is outside Telegram's range.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        if _PLAIN.fullmatch(text):
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time(23, 59, 59) if end_of_day else dt.time(0), dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise InvalidInput(field, f"{shown!r} is not a date; give {_FORMS}") from None
    seconds = moment.timestamp()
    if not _LOWEST <= seconds <= _HIGHEST:
        raise InvalidInput(field, "must be between 1970-01-01 and 2038-01-19 (UTC)")
    return seconds


def date_bounds(min_date: str | None, max_date: str | None) -> tuple[float | None, float | None]:
    """Both bounds, checked for order.

    Raises:
        InvalidInput: either is malformed, or ``min_date`` is after ``max_date``.
    """
    low = parse_date_bound("min_date", min_date, end_of_day=False)
    high = parse_date_bound("max_date", max_date, end_of_day=True)
    if low is not None and high is not None and low > high:
        raise InvalidInput("min_date", "is after max_date; swap them or widen the range")
    return low, high
