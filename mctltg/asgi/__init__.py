"""HTTP in: the one ASGI app and how it is served."""

from mctltg.asgi.body_limit import MAX_REQUEST_BODY, limit_request_body
from mctltg.asgi.dispatch import ASGIApp, create_asgi_app
from mctltg.asgi.observe import RouteNamer, observe_http
from mctltg.asgi.serve import hypercorn_config, serve, wait_for_signal

__all__ = [
    "MAX_REQUEST_BODY",
    "ASGIApp",
    "RouteNamer",
    "create_asgi_app",
    "hypercorn_config",
    "limit_request_body",
    "observe_http",
    "serve",
    "wait_for_signal",
]
