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

import logging
import re
import sys
import time
from typing import Any, Final, TextIO

from mctltg.observability.redact import is_secret_field, scrub
from mctltg.observability.request_id import RequestIdFilter

__all__ = ["KeyValueFormatter", "RedactFilter", "ThirdPartyFloor", "configure_logs"]

_OWN: Final = "mctltg"
_CHATTY: Final = ("telethon", "httpx", "httpcore", "httpx2", "httpcore2", "mcp.client", "sse_starlette")
_STANDARD: Final = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "taskName"}


#: A value written bare: letters, digits (``str.isalnum``, which is what ``\w`` matches) and ``-_./:@+``.
_BARE: Final = re.compile(r"[\w\-./:@+]+").fullmatch


def _quote(value: Any) -> str:
    text = value if type(value) is str else str(value)
    if _BARE(text) is not None:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _SecretNames(dict[str, bool]):
    """``is_secret_field`` per field name, worked out once per name (a log line has a handful)."""

    def __missing__(self, name: str) -> bool:
        secret = self[name] = is_secret_field(name)
        return secret


#: Field names decided so far (a fixed vocabulary: field names are written in code, not taken from input).
_SECRET_NAMES: Final = _SecretNames()


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=… logger=… msg="…" key=value …``, redacted.

    Cheap per line, because two lines are written per tool call (``tool call`` and
    ``http request``): the second-resolution part of the timestamp is formatted once
    per second, each field name's secrecy is decided once, and a message the
    :class:`RedactFilter` already scrubbed is not scrubbed again (the fields and the
    traceback still are, together, in one pass).
    """

    def __init__(self, *, sandbox: bool = False) -> None:
        super().__init__()
        self._sandbox = sandbox
        self._second = -1
        self._second_text = ""

    def _stamp(self, created: float) -> str:
        second, micro = divmod(round(created * 1_000_000), 1_000_000)  # rounded as datetime does
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{micro:06d}Z"

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not getattr(record, "_mctltg_redacted", False):
            message = scrub(message)
        head = (
            f"ts={self._stamp(record.created)} level={record.levelname} logger={record.name}"
            f" msg={_quote(message)}"
        )
        if self._sandbox:
            head += " sandbox=true"
        secret = _SECRET_NAMES
        parts = [
            f"{name}={'[redacted]' if secret[name] else _quote(value)}"
            for name, value in vars(record).items()
            if name not in _STANDARD and name[0] != "_" and name != "exc_text"
        ]
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        elif record.exc_text:
            parts.append(f"exc={_quote(record.exc_text)}")
        if not parts:
            return head
        return f"{head} {scrub(' '.join(parts))}"


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
        secret = _SECRET_NAMES
        for name in [n for n in vars(record) if n not in _STANDARD and n[0] != "_" and secret[n]]:
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
    # Our lines never print the caller's file, line, thread or process, so the record need
    # not look them up (the logging documentation's "Optimization" switches): finding the
    # caller walks the stack on every record, two records per tool call.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
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
