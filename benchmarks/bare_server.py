"""The yardstick: a bare ``mcp`` SDK server with one no-op tool, served like ours.

Same SDK, same Streamable HTTP mode (stateful, SSE answers), same Hypercorn Trio
worker and the same Hypercorn settings as ``mctltg``; only our code is missing. The
benchmark divides our latency by this one's. Run: ``python -m benchmarks.bare_server PORT``;
it prints ``MCP endpoint: <url>`` once it listens and stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import trio
from hypercorn.config import Config
from hypercorn.trio import serve
from mcp.server.mcpserver import MCPServer


def build_app() -> Any:
    server = MCPServer("bare")

    @server.tool()
    async def noop() -> str:
        """Do nothing."""
        return "ok"

    sdk_app = server.streamable_http_app(json_response=False, stateless_http=False)
    manager = server.session_manager

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            async with manager.run():
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif message["type"] == "lifespan.shutdown":
                        await send({"type": "lifespan.shutdown.complete"})
                        return
        await sdk_app(scope, receive, send)

    return app


async def main(port: int) -> None:
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.graceful_timeout = 1
    config.accesslog = None
    config.keep_alive_timeout = 30
    config.h11_max_incomplete_size = 64 * 1024
    config.include_server_header = False

    async def until_signal() -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                return

    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            lambda task_status: serve(
                build_app(), config, shutdown_trigger=until_signal, task_status=task_status
            )
        )
        print(f"MCP endpoint: {binds[0]}/mcp", flush=True)


if __name__ == "__main__":
    trio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 0)
