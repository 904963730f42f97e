"""Serve the ASGI app with Hypercorn's Trio worker, started from code.

One process, one worker: MCP sessions and Telegram auth keys live in memory, and
two owners of one auth key get the session killed by Telegram. ``serve`` reports
the bound addresses through ``task_status`` so port 0 works in tests.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from mctltg.asgi.dispatch import ASGIApp
from mctltg.config import Settings

__all__ = ["hypercorn_config", "serve", "wait_for_signal"]

logger = logging.getLogger(__name__)


def hypercorn_config(settings: Settings) -> HypercornConfig:
    config = HypercornConfig()
    config.bind = [settings.addr]
    config.graceful_timeout = settings.shutdown_grace
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    config.keep_alive_timeout = 30
    config.h11_max_incomplete_size = 64 * 1024
    config.include_server_header = False
    return config


async def wait_for_signal() -> None:
    """Return on the first SIGTERM or SIGINT (a background job ignores SIGINT otherwise)."""
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            logger.info("received %s; shutting down", signal.Signals(signum).name)
            return


async def serve(
    app: ASGIApp,
    settings: Settings,
    *,
    shutdown_trigger: Callable[[], Awaitable[Any]],
    task_status: Any = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until ``shutdown_trigger`` returns, then drain for ``SHUTDOWN_GRACE`` seconds."""
    framework: Any = app  # Hypercorn's ASGI typing is stricter than the ASGI spec our app follows
    await hypercorn_serve(
        framework, hypercorn_config(settings), shutdown_trigger=shutdown_trigger, task_status=task_status
    )
