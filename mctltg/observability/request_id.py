"""The request id: one short token per HTTP request, on its response and on every log line it causes.

The ASGI middleware (``asgi/observe.py``) binds it in a context variable for the
request's task; the MCP SDK copies context variables from the HTTP request into the
task that runs the tool call, so log lines written by tools, the account pool and the
database wrapper carry the same id. ``RequestIdFilter`` stamps it onto each log
record as ``request_id``. This is the one sanctioned piece of ambient state besides
the SDK's own auth context, and like it, it is set and reset around each request.

An incoming ``X-Request-Id`` (from a reverse proxy) is kept when it is short, plain
and survives the log scrub unchanged (a long digit run would be masked as a phone
number), so the proxy's access log and ours can be joined; anything else is replaced.
Minted ids use letters only, for the same reason.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from mctltg.observability.redact import scrub

__all__ = ["RequestIdFilter", "bind_request_id", "current_request_id", "request_id_from"]

_REQUEST_ID: Final = contextvars.ContextVar[str | None]("mctltg_request_id", default=None)
_ACCEPTABLE: Final = re.compile(r"[A-Za-z0-9._-]{8,64}")
_LETTERS: Final = "abcdefghijkmnpqrstuvwxyz"  # 24 letters: 16 of them carry 73 bits


def _mint() -> str:
    """16 letters from one 80-bit draw: one ``urandom`` call per request, not sixteen."""
    number = int.from_bytes(secrets.token_bytes(10))
    letters = []
    for _ in range(16):
        number, index = divmod(number, len(_LETTERS))
        letters.append(_LETTERS[index])
    return "".join(letters)


def request_id_from(incoming: bytes | str | None) -> str:
    """Keep a proxy's plain ``X-Request-Id``; otherwise mint 16 random letters."""
    if isinstance(incoming, bytes):
        incoming = incoming.decode("latin-1")
    if incoming and _ACCEPTABLE.fullmatch(incoming) and scrub(incoming) == incoming:
        return incoming
    return _mint()


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


@contextmanager
def bind_request_id(request_id: str) -> Iterator[None]:
    """Make ``request_id`` current for this task (and tasks it starts) until the block ends."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to records written while a request is being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _REQUEST_ID.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True
