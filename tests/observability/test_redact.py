"""Redaction: secret fields by name, and a last-line scrub of phones and tokens."""

from __future__ import annotations

import io
import logging

from mctltg.observability import configure_logs, scrub


def test_phone_like_digit_runs_are_masked() -> None:
    assert "+99966 1234" not in scrub("login for +99966 1234 567 failed")
    assert "[redacted-phone]" in scrub("call 15550001234 now")


def test_short_numbers_and_ids_stay_readable() -> None:
    assert scrub("account 42 peer user:1002 took 350 ms") == "account 42 peer user:1002 took 350 ms"


def test_bearer_tokens_and_jwts_are_masked() -> None:
    line = scrub("Authorization: Bearer abc.def-ghi and eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.c2lnbmF0dXJlMTIz")
    assert "abc.def-ghi" not in line
    assert "eyJzdWIiOiIxMjM0" not in line


def test_a_secret_named_field_is_redacted_in_the_log_line() -> None:
    stream = io.StringIO()
    configure_logs(logging.INFO, stream=stream)
    try:
        logging.getLogger("test").info("sent", extra={"text": "hello secret world", "peer": "user:5"})
    finally:
        logging.getLogger().handlers.clear()
    line = stream.getvalue()
    assert "hello secret world" not in line
    assert "text=[redacted]" in line
    assert "peer=user:5" in line
