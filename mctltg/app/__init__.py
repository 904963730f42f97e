"""The composition root: build every service from ``Settings`` and run them in one tree.

The only package that knows every layer. Three concepts, one module each:

- ``services``: the database, the Telethon thread, the account pool, logins and session
  expiry (``open_services``); the only place that chooses real Telegram or the sandbox.
- ``assembly``: the one ASGI app over the services (MCP, OAuth, web pages, metrics) and
  ``run``, the whole server under Hypercorn.
- ``demo``: a logged-in sandbox account without a login flow (``mctltg demo``, tests).
"""

from __future__ import annotations

from mctltg.app.assembly import (
    OAuthParts,
    build_asgi_app,
    build_oauth,
    build_oidc,
    run,
    served_tools,
    tool_deps,
)
from mctltg.app.demo import provision_sandbox_account
from mctltg.app.services import SandboxFactory, Services, open_services

__all__ = [
    "OAuthParts",
    "SandboxFactory",
    "Services",
    "build_asgi_app",
    "build_oauth",
    "build_oidc",
    "open_services",
    "provision_sandbox_account",
    "run",
    "served_tools",
    "tool_deps",
]
