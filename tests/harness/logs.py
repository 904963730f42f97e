"""The product's own log configuration, captured into a string for a test to read.

Tests that check what reaches a log line (no secrets, one line per tool call) must
read what ``configure_logs`` really writes, not pytest's ``caplog`` (which sits
beside the redacting handler). Logging is process-wide state, so every capture puts
it back: no handler left behind, every logger's level back to NOTSET.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from mctltg.observability import configure_logs

__all__ = ["captured_logs", "restore_logging"]


@contextmanager
def captured_logs(level: int = logging.DEBUG, *, sandbox: bool = False) -> Iterator[io.StringIO]:
    """Route every logger through the product's handler into a string until the block ends."""
    stream = io.StringIO()
    configure_logs(level, sandbox=sandbox, stream=stream)
    try:
        yield stream
    finally:
        restore_logging()


def restore_logging() -> None:
    """Undo any log configuration: the root handlers go, every logger's level is NOTSET again."""
    logging.getLogger().handlers.clear()
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.NOTSET)
