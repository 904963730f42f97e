"""Log configuration: no third-party chatter below INFO reaches a line; every handler is redacted."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from mctltg.observability import configure_logs
from mctltg.observability.logs import KeyValueFormatter
from tests.harness.logs import restore_logging as undo_log_configuration

CANARY = "CANARY-1 the text of a message"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    undo_log_configuration()
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and name.startswith("a.library"):
            logger.handlers = []


def test_third_party_debug_records_never_reach_the_log_even_when_their_loggers_are_set_to_debug(
    restore_logging: None,
) -> None:
    stream = io.StringIO()
    configure_logs(logging.DEBUG, stream=stream)
    for name in ("sse_starlette.sse", "mcp.server.streamable_http", "a.library.made.later"):
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).debug("chunk: %s", CANARY)
    logging.getLogger("a.library.made.later").info("a library's info line")
    logging.getLogger("mctltg.tools").debug("our own debug line")

    log = stream.getvalue()
    assert CANARY not in log
    assert "a library's info line" in log
    assert "our own debug line" in log


def test_a_handler_attached_by_someone_else_gets_the_same_floor_and_redaction(restore_logging: None) -> None:
    theirs = io.StringIO()
    handler = logging.StreamHandler(theirs)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(phone)s"))
    library = logging.getLogger("a.library")
    library.addHandler(handler)
    library.propagate = False
    try:
        configure_logs(logging.DEBUG, stream=io.StringIO())
        library.setLevel(logging.DEBUG)
        library.debug("chunk: %s", CANARY, extra={"phone": "x"})
        phone = "+44 20 7946 0958"
        library.info("calling %s with %s", phone, "Bearer abc.def", extra={"phone": phone})
    finally:
        library.propagate = True

    log = theirs.getvalue()
    assert CANARY not in log
    assert "7946" not in log
    assert "abc.def" not in log
    assert "[redacted]" in log


def test_a_phone_number_in_a_plainly_named_field_is_masked_in_the_line(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logs(logging.INFO, stream=stream)
    logging.getLogger("mctltg.tools").info("tool call", extra={"peer": "+44 20 7946 0958", "tool": "x"})

    line = stream.getvalue()
    assert "7946" not in line
    assert "[redacted-phone]" in line
    assert "tool=x" in line


def test_each_line_is_stamped_with_its_own_time_across_seconds() -> None:
    formatter = KeyValueFormatter()
    stamps = [
        formatter.format(logging.makeLogRecord({"msg": "m", "created": created})).split()[0]
        for created in (1_800_000_000.25, 1_800_000_000.5, 1_800_000_061.000125)
    ]

    assert stamps == [
        "ts=2027-01-15T08:00:00.250000Z",
        "ts=2027-01-15T08:00:00.500000Z",
        "ts=2027-01-15T08:01:01.000125Z",
    ]
