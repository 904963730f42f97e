"""``/metrics`` in the Prometheus text format, optionally only for some networks; route names.

``METRICS_ALLOW_CIDR`` (comma-separated networks) limits who may scrape: a request
from any other address gets 403. The address checked is the TCP peer Hypercorn saw,
never ``X-Forwarded-For``, which any client can write; so behind a reverse proxy on
the same host every request comes from loopback — either keep the proxy from
forwarding ``/metrics`` or scrape the server's own port directly.

``route_namer`` turns a request path into the route template that serves it
(``/oauth/authorize``, ``/healthz``, …) so HTTP metrics have bounded labels.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection, Sequence
from typing import Any

from quart import Blueprint, Response, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from mctltg.observability.metrics import CONTENT_TYPE, Metrics

__all__ = ["Network", "client_allowed", "metrics_blueprint", "route_namer"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_allowed(client: Sequence[Any] | None, allow: Collection[Network]) -> bool:
    """Whether the TCP peer ``client`` (an ASGI ``(host, port)``) lies in one of ``allow``."""
    if not allow:
        return True
    if not client:
        return False
    try:
        address = ipaddress.ip_address(str(client[0]))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allow)


def metrics_blueprint(metrics: Metrics, *, allow: Collection[Network] = ()) -> Blueprint:
    """``GET /metrics``: ``metrics`` rendered, or 403 for a peer outside ``allow`` (when set)."""
    blueprint = Blueprint("metrics", __name__)

    @blueprint.get("/metrics")
    async def scrape() -> Response:
        if not client_allowed(request.scope.get("client"), allow):
            return Response(
                "forbidden: this address may not read metrics (METRICS_ALLOW_CIDR)\n",
                status=403,
                content_type="text/plain; charset=utf-8",
                headers={"Cache-Control": "no-store"},
            )
        return Response(metrics.render(), content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return blueprint


def route_namer(app: QuartTrio, *, extra: Collection[str] = ()) -> Callable[[str, str], str]:
    """A function ``(method, path) → route template`` over ``app``'s URL map.

    Paths in ``extra`` (served outside the web app, e.g. ``/mcp``) name themselves, a
    trailing slash ignored; a path no route serves is ``unmatched``.
    """
    own = {path.rstrip("/") or "/" for path in extra}

    def name(method: str, path: str) -> str:
        trimmed = path.rstrip("/") or "/"
        if trimmed in own:
            return trimmed
        adapter = app.url_map.bind("localhost")
        try:
            rule, _ = adapter.match(path, method=method if method != "OTHER" else "GET", return_rule=True)
        except MethodNotAllowed as wrong:  # right path, wrong method: still name the route
            methods = sorted(wrong.valid_methods or ["GET"])
            try:
                rule, _ = adapter.match(path, method=methods[0], return_rule=True)
            except HTTPException:
                return "unmatched"
        except HTTPException:  # not found, or a slash redirect
            return "unmatched"
        return str(getattr(rule, "rule", "unmatched"))

    return name
