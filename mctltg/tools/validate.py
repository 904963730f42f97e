"""Argument checks shared by tools, each failing with one sentence naming the field.

Bounds are also published in each tool's input schema; checking them here keeps
the error a clear tool error rather than a validation dump.
"""

from __future__ import annotations

from mctltg.errors import InvalidInput

__all__ = ["bounded_int", "optional_text"]


def bounded_int(field: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise InvalidInput(field, f"must be from {low} to {high}; got {value}")
    return value


def optional_text(field: str, value: str | None, *, max_length: int) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters; got {len(text)}")
    return text or None
