"""Every HTTP request, observed once at the outermost edge: request id, metrics, access log.

``observe_http`` wraps the one ASGI app. For each HTTP request it

* picks the request id (a proxy's plain ``X-Request-Id``, else a fresh one), binds it
  for the request's task so every log line the request causes carries it, and
  returns it in the ``X-Request-Id`` response header;
* counts the request by method, *route template* (never the raw path, which could
  carry ids) and status;
* counts a refused credential — a 401/403 answer with a ``WWW-Authenticate: Bearer``
  challenge — by the challenge's RFC 6750 ``error`` (``invalid_token``,
  ``insufficient_scope``) or ``no_token`` when the challenge names none (§3.1);
* writes one access-log line (probes at DEBUG, so a load balancer cannot drown the log).

Lifespan and other scope types pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from mctltg.asgi.dispatch import ASGIApp, Receive, Scope, Send
from mctltg.observability import bind_request_id, request_id_from

if TYPE_CHECKING:
    from mctltg.observability.metrics import Metrics

__all__ = ["RouteNamer", "observe_http"]

logger = logging.getLogger("mctltg.http")

#: (method, path) → the route template that served it, or ``unmatched``.
RouteNamer = Callable[[str, str], str]

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PROBES: Final = frozenset({"/healthz", "/readyz", "/metrics"})
_ERROR_PARAM: Final = re.compile(rb'error="([^"]*)"')


def _header(headers: Any, name: bytes) -> bytes | None:
    for key, value in headers or ():
        if key.lower() == name:
            return bytes(value)
    return None


def auth_failure_reason(challenge: bytes) -> str:
    """The reason a ``WWW-Authenticate`` challenge gives: its ``error`` param, else ``no_token``."""
    found = _ERROR_PARAM.search(challenge)
    return found.group(1).decode("latin-1") if found else "no_token"


def observe_http(app: ASGIApp, *, metrics: Metrics, route_of: RouteNamer) -> ASGIApp:
    """Wrap ``app`` so each HTTP request gets a request id, a metric sample and an access-log line."""

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = request_id_from(_header(scope.get("headers"), b"x-request-id"))
        raw_id = request_id.encode("latin-1")
        answered: dict[str, Any] = {}

        async def send_observed(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (key, value)
                    for key, value in message.get("headers", [])
                    if key.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", raw_id))
                answered["status"] = message["status"]
                if message["status"] in (401, 403):
                    answered["challenge"] = _header(headers, b"www-authenticate")
                message = {**message, "headers": headers}
            await send(message)

        started = time.perf_counter()
        with bind_request_id(request_id):
            try:
                await app(scope, receive, send_observed)
            finally:
                method = scope.get("method", "GET")
                method = method if method in _METHODS else "OTHER"
                route = route_of(method, scope.get("path", ""))
                status: int | None = answered.get("status")
                metrics.http_request(method=method, route=route, status=status)
                challenge = answered.get("challenge")
                if challenge is not None and challenge[:6].lower() == b"bearer":
                    metrics.auth_failure(auth_failure_reason(challenge))
                logger.log(
                    logging.DEBUG if route in _PROBES else logging.INFO,
                    "http request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": "none" if status is None else status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )

    return observed
