"""Structured logs: one event per line as ``key=value``, redacted before writing.

``configure_logs`` installs a formatter on the root logger. Extra fields passed
with ``logger.info(..., extra={...})`` become ``key=value`` pairs; a field whose
name marks it secret is written as ``[redacted]``; the finished line is scrubbed
(``redact.scrub``). In sandbox mode every line carries ``sandbox=true``. A line
written while an HTTP request is served carries its ``request_id``.

Third-party libraries decide for themselves what they log at DEBUG, and some of it is
payload: the SSE transport logs every chunk it streams (each tool result, message texts
included), Telethon logs MTProto payloads, the HTTP clients log URLs and headers. So the
floor is enforced on the handler, not on logger levels (which anyone can lower later,
and which a logger created after startup would not inherit): :class:`ThirdPartyFloor`
drops every record below INFO from a logger outside ``mctltg``, and below WARNING from
the chatty ones, whatever ``LOG_LEVEL`` or a later ``setLevel`` says. Then
:class:`RedactFilter` rewrites each record that passes (message scrubbed, secret fields
replaced, traceback scrubbed) so that every handler, ours or one a library or operator
adds, sees only the redacted record.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any, Final, TextIO

from mctltg.observability.redact import is_secret_field, scrub
from mctltg.observability.request_id import RequestIdFilter

__all__ = ["KeyValueFormatter", "RedactFilter", "ThirdPartyFloor", "configure_logs"]

_OWN: Final = "mctltg"
_CHATTY: Final = ("telethon", "httpx", "httpcore", "httpx2", "httpcore2", "mcp.client", "sse_starlette")
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
            if name in _STANDARD or name.startswith("_") or name == "exc_text":
                continue
            parts.append(f"{name}={'[redacted]' if is_secret_field(name) else _quote(value)}")
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        elif record.exc_text:
            parts.append(f"exc={_quote(record.exc_text)}")
        return scrub(" ".join(parts))


def _within(name: str, root: str) -> bool:
    return name == root or name.startswith(root + ".")


class ThirdPartyFloor(logging.Filter):
    """Drop third-party records below INFO (below WARNING for the chatty ones); keep ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _within(record.name, _OWN):
            return True
        if record.levelno < logging.INFO:
            return False
        return record.levelno >= logging.WARNING or not any(_within(record.name, c) for c in _CHATTY)


class RedactFilter(logging.Filter):
    """Rewrite a record in place so no handler can see what the redaction rules forbid.

    The message is rendered and scrubbed (its arguments dropped), every extra field whose
    name marks it secret becomes ``[redacted]``, and a traceback is rendered and scrubbed
    into ``exc_text`` (the ``exc_info`` it came from is dropped).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_mctltg_redacted", False):
            return True
        record.msg = scrub(record.getMessage())
        record.args = None
        for name in list(vars(record)):
            if name not in _STANDARD and not name.startswith("_") and is_secret_field(name):
                setattr(record, name, "[redacted]")
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        setattr(record, "_mctltg_redacted", True)  # noqa: B010 (LogRecord declares no such attribute)
        return True


def guard_handler(handler: logging.Handler) -> None:
    """Put the third-party floor and the redaction filter on ``handler`` (once)."""
    for kind in (ThirdPartyFloor, RedactFilter):
        if not any(isinstance(existing, kind) for existing in handler.filters):
            handler.addFilter(kind())


def configure_logs(level: int, *, sandbox: bool = False, stream: TextIO | None = None) -> None:
    """Route every logger through one redacting handler at ``level``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter(sandbox=sandbox))
    guard_handler(handler)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The handler filters above are what holds; these levels only spare the work of
    # building records nobody will write.
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    for name in list(logging.root.manager.loggerDict):
        if not _within(name, _OWN) and not any(_within(name, c) for c in _CHATTY):
            logging.getLogger(name).setLevel(max(level, logging.INFO))
    # Any handler already attached anywhere (a library's own, an operator's) gets the
    # same floor and redaction as ours.
    for existing in [root, *logging.root.manager.loggerDict.values()]:
        if isinstance(existing, logging.Logger):
            for other in existing.handlers:
                guard_handler(other)
