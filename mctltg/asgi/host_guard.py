"""DNS-rebinding protection for every route: the Host and Origin allowlist.

A page on an attacker's domain can make a browser reach this server by rebinding its
own name to this server's address; the browser then sends the attacker's name as
``Host`` (and its page as ``Origin``) and treats the answers as same-origin, so the
page could read the web pages, start a sign-in that hands out an operator session in
local development, and post the manage page's forms. Refusing every Host and Origin
that is not this server's own stops that on every path, not only ``/mcp``.

The allowlist comes from ``PUBLIC_BASE_URL`` and ``ADDR``; a server bound to a
loopback or wildcard address also accepts the loopback names on any port. The MCP
SDK's own check on ``/mcp`` is given the same lists (:func:`transport_security`), and
the answers are the SDK's: 421 ``Invalid Host header``, 403 ``Invalid Origin header``.

The liveness and readiness probes are exempt: they answer "ok" or "not ready" and
nothing else, and orchestrators call them by whatever address they see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from mctltg.asgi.dispatch import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from mcp.server.transport_security import TransportSecuritySettings

    from mctltg.config import Settings

__all__ = ["HostAllowlist", "guard_hosts"]

PROBE_PATHS: Final = frozenset({"/healthz", "/readyz"})
_LOOPBACK_BINDS: Final = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})


def _matches(value: str, allowed: frozenset[str]) -> bool:
    if value in allowed:
        return True
    return any(pattern.endswith(":*") and value.startswith(pattern[:-1]) for pattern in allowed)


@dataclass(frozen=True, slots=True, kw_only=True)
class HostAllowlist:
    """The Host values and Origins this server answers; ``name:*`` means any port."""

    hosts: frozenset[str]
    origins: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> HostAllowlist:
        public = urlsplit(settings.public_base_url)
        hosts = {public.netloc, f"{settings.host}:{settings.port}"}
        origins = {f"{public.scheme}://{public.netloc}"}
        if settings.host in _LOOPBACK_BINDS:
            hosts |= {"127.0.0.1:*", "localhost:*", "[::1]:*"}
            origins |= {"http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"}
        return cls(hosts=frozenset(hosts), origins=frozenset(origins))

    def host_ok(self, host: str | None) -> bool:
        return bool(host) and _matches(host or "", self.hosts)

    def origin_ok(self, origin: str | None) -> bool:
        # Same-origin requests may omit it, and browsers send "null" for a form posted from a
        # page with Referrer-Policy: no-referrer (every page here). Host decides rebinding;
        # CSRF tokens decide cross-site forms; /mcp's own check still refuses "null".
        return not origin or origin == "null" or _matches(origin, self.origins)

    def transport_security(self) -> TransportSecuritySettings:
        """The same lists for the MCP SDK's own check on ``/mcp``."""
        from mcp.server.transport_security import TransportSecuritySettings

        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=sorted(self.hosts),
            allowed_origins=sorted(self.origins),
        )


def _header(scope: Scope, name: bytes) -> str | None:
    values = [value for key, value in scope.get("headers", ()) if key.lower() == name]
    if len(values) != 1:
        return None if not values else "\x00"  # two Host or Origin headers: refuse
    return bytes(values[0]).decode("latin-1")


async def _refuse(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def guard_hosts(app: ASGIApp, allowlist: HostAllowlist) -> ASGIApp:
    """Wrap ``app`` so every HTTP request or WebSocket with a foreign Host or Origin is refused unread."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path", "") in PROBE_PATHS:
            await app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            host_ok = allowlist.host_ok(_header(scope, b"host"))
            if host_ok and allowlist.origin_ok(_header(scope, b"origin")):
                await app(scope, receive, send)
            else:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008})  # refuses the handshake (403)
            return
        if not allowlist.host_ok(_header(scope, b"host")):
            await _refuse(send, 421, "Invalid Host header")
        elif not allowlist.origin_ok(_header(scope, b"origin")):
            await _refuse(send, 403, "Invalid Origin header")
        else:
            await app(scope, receive, send)

    return guarded
