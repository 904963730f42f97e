"""HTTP in: the one ASGI app and how it is served."""

from mctltg.asgi.dispatch import ASGIApp, create_asgi_app
from mctltg.asgi.serve import hypercorn_config, serve, wait_for_signal

__all__ = ["ASGIApp", "create_asgi_app", "hypercorn_config", "serve", "wait_for_signal"]
