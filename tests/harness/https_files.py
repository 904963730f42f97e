"""A loopback https file server with a throwaway CA, for the outbound fetcher and ``send_media``.

Hypercorn serves a tiny ASGI app on 127.0.0.1 with a certificate from a ``trustme`` CA for
``localhost``, ``127.0.0.1`` and the test names in ``NAMES``. Each path is a scripted
``Route`` (status, headers, a body sent in chunks, or a stall that never answers), and every
request is recorded in ``hits`` so a test can prove that nothing was fetched.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import trio
import trustme
from hypercorn.config import Config
from hypercorn.trio import serve

__all__ = ["NAMES", "HttpsFiles", "Route", "serve_https_files"]

#: Host names the certificate covers besides localhost and 127.0.0.1 (tests resolve them).
NAMES: Final = ("files.test", "rebind.test")


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """What the server answers on one path."""

    status: int = 200
    content_type: str = "application/octet-stream"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    #: Send no Content-Length (chunked), so only the reader's cap can stop a large body.
    chunked: bool = False
    #: Never answer (the client's deadline must end the request).
    stall: bool = False


@dataclass(slots=True, kw_only=True)
class HttpsFiles:
    """The running server: its port, its routes (mutable by the test) and the paths requested."""

    port: int
    ca: trustme.CA
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def url(self, path: str, *, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting only the test CA."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self.ca.configure_trust(context)
        return context

    def write_ca(self, path: Path) -> Path:
        """The CA certificate as a PEM file (for ``SSL_CERT_FILE``)."""
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Route(status=status, headers=(("location", location),))


@asynccontextmanager
async def serve_https_files(tmp_path: Path) -> AsyncIterator[HttpsFiles]:
    """Run the server for the block; it stops (and its stalled requests end) on exit."""
    ca = trustme.CA()
    pem = tmp_path / "https-files.pem"
    ca.issue_cert("localhost", "127.0.0.1", *NAMES).private_key_and_cert_chain_pem.write_to_path(str(pem))
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.certfile = str(pem)
    config.keyfile = str(pem)
    config.accesslog = None
    config.errorlog = None
    state = HttpsFiles(port=0, ca=ca)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[1]
                await send({"type": f"{message['type']}.complete"})
                if kind == "shutdown":
                    return
        if scope["type"] != "http":
            return
        state.hits.append(scope["path"])
        route = state.routes.get(scope["path"], Route(status=404, body=b"no such file"))
        if route.stall:
            await trio.sleep_forever()
        headers = [(b"content-type", route.content_type.encode())]
        headers += [(k.encode(), v.encode()) for k, v in route.headers]
        if not route.chunked:
            headers.append((b"content-length", str(len(route.body)).encode()))
        await send({"type": "http.response.start", "status": route.status, "headers": headers})
        step = 16 * 1024
        for start in range(0, max(len(route.body), 1), step):
            chunk = route.body[start : start + step]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            lambda task_status: serve(app, config, shutdown_trigger=stop.wait, task_status=task_status)
        )
        state.port = int(binds[0].rsplit(":", 1)[1])
        try:
            yield state
        finally:
            stop.set()
            nursery.cancel_scope.cancel()
