"""Structured logs: one event per line as ``key=value``, redacted before writing.

``configure_logs`` installs a formatter on the root logger. Extra fields passed
with ``logger.info(..., extra={...})`` become ``key=value`` pairs; a field whose
name marks it secret is written as ``[redacted]``; the finished line is scrubbed
(``redact.scrub``). In sandbox mode every line carries ``sandbox=true``. A line
written while an HTTP request is served carries its ``request_id``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any, Final, TextIO

from mctltg.observability.redact import is_secret_field, scrub
from mctltg.observability.request_id import RequestIdFilter

__all__ = ["KeyValueFormatter", "configure_logs"]

_CHATTY: Final = ("telethon", "httpx", "httpcore", "httpx2", "httpcore2", "mcp.client")
_STANDARD: Final = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "taskName"}


def _quote(value: Any) -> str:
    text = str(value)
    if text and all(ch.isalnum() or ch in "-_./:@+" for ch in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=… logger=… msg="…" key=value …``, redacted."""

    def __init__(self, *, sandbox: bool = False) -> None:
        super().__init__()
        self._sandbox = sandbox

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parts = [
            f"ts={stamp}",
            f"level={record.levelname}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        if self._sandbox:
            parts.append("sandbox=true")
        for name, value in vars(record).items():
            if name in _STANDARD or name.startswith("_"):
                continue
            parts.append(f"{name}={'[redacted]' if is_secret_field(name) else _quote(value)}")
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        return scrub(" ".join(parts))


def configure_logs(level: int, *, sandbox: bool = False, stream: TextIO | None = None) -> None:
    """Route every logger through one redacting handler at ``level``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter(sandbox=sandbox))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Telethon logs message payloads at DEBUG, and the HTTP clients (the OIDC leg, the
    # canary) log URLs and raw headers, which carry authorization codes and cookies:
    # keep their chatter at WARNING or above whatever LOG_LEVEL says.
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    logging.getLogger("hypercorn.error").setLevel(max(level, logging.INFO))
