"""``mctltg canary`` on the command line: options, usage errors (exit 2), one run or a served loop.

Flags override environment variables. Values are checked with the server's own parsers
(``mctltg.config``), so a URL, a boolean or a ``HOST:PORT`` is read the same way
``mctltg serve`` reads its settings; ``--serve`` stops on SIGTERM/SIGINT through the
server's own ``wait_for_signal``.
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import urlsplit

import trio

from mctltg.canary.metrics import CanaryMetrics
from mctltg.canary.probe import CanaryConfig, describe, probe
from mctltg.config.parsers import parse_bool, parse_url, split_host_port

__all__ = ["UsageError", "add_arguments", "canary_command", "config_from"]

_DEFAULT_JOB: Final = "mctltg_canary"


class UsageError(Exception):
    """The canary was started without what it needs (exit code 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``canary`` subcommand's options; each falls back to an environment variable."""
    parser.add_argument("--base-url", help="the deployment's PUBLIC_BASE_URL (env CANARY_BASE_URL)")
    parser.add_argument("--mcp-path", help="MCP endpoint path (env CANARY_MCP_PATH, default /mcp)")
    parser.add_argument(
        "--token-file",
        type=Path,
        help="file holding the bearer token: a worker token from `mctltg token mint` or a read-only "
        "access token (or env CANARY_BEARER_TOKEN; never a flag value)",
    )
    parser.add_argument(
        "--refresh-token-file",
        type=Path,
        help="file holding a refresh token, traded for an access token each run and rewritten with "
        "the rotated one (env CANARY_REFRESH_TOKEN_FILE; needs --client-id)",
    )
    parser.add_argument(
        "--client-id", help="the OAuth client the refresh token belongs to (env CANARY_CLIENT_ID)"
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="the server runs without OAuth (local-dev, e.g. mctltg demo): send no token, skip AS metadata",
    )
    parser.add_argument(
        "--probe-unread",
        action="store_true",
        help="also call get_unread_messages {limit: 1} (env CANARY_PROBE_UNREAD=true)",
    )
    parser.add_argument("--timeout", type=float, help="seconds per step (env CANARY_TIMEOUT, default 30)")
    parser.add_argument(
        "--pushgateway", help="push the metrics to this Pushgateway URL (env PUSHGATEWAY_URL)"
    )
    parser.add_argument("--job", default=_DEFAULT_JOB, help=f"Pushgateway job name (default {_DEFAULT_JOB})")
    parser.add_argument(
        "--serve",
        metavar="HOST:PORT",
        help="probe every --interval seconds and serve the metrics here (env CANARY_METRICS_ADDR)",
    )
    parser.add_argument("--interval", type=float, default=120.0, help="seconds between probes with --serve")


def config_from(args: argparse.Namespace, environ: Mapping[str, str]) -> CanaryConfig:
    """Build the probe's configuration from flags, then the environment.

    Raises:
        UsageError: no base URL, a malformed one, or no token without ``--no-auth``.
    """
    try:
        base_url = parse_url(args.base_url or environ.get("CANARY_BASE_URL", ""))
    except ValueError:
        raise UsageError(
            "give the deployment's URL with --base-url or CANARY_BASE_URL, e.g. https://tg.example.com"
        ) from None
    token: str | None = None
    refresh_text = args.refresh_token_file or environ.get("CANARY_REFRESH_TOKEN_FILE") or None
    refresh_file = Path(refresh_text) if refresh_text is not None and not args.no_auth else None
    client_id = args.client_id or environ.get("CANARY_CLIENT_ID") or None
    if refresh_file is not None:
        if client_id is None:
            raise UsageError(
                "--refresh-token-file needs the client it belongs to: --client-id or CANARY_CLIENT_ID"
            )
        if not refresh_file.is_file():
            raise UsageError(f"--refresh-token-file names no file ({refresh_file})")
    elif not args.no_auth:
        if args.token_file is not None:
            try:
                token = args.token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise UsageError(f"cannot read --token-file: {exc.strerror}") from None
        else:
            token = environ.get("CANARY_BEARER_TOKEN", "").strip()
        if not token:
            raise UsageError(
                "a read-only bearer token is needed (simplest: a worker token from `mctltg token mint`): "
                "set CANARY_BEARER_TOKEN, --token-file or --refresh-token-file (or --no-auth for a "
                "local-dev server)"
            )
    timeout_text = str(args.timeout) if args.timeout is not None else environ.get("CANARY_TIMEOUT", "30")
    try:
        timeout = float(timeout_text.removesuffix("s"))
    except ValueError:
        raise UsageError("--timeout / CANARY_TIMEOUT must be a number of seconds") from None
    if not 0 < timeout <= 600:
        raise UsageError("--timeout / CANARY_TIMEOUT must be between 0 and 600 seconds")
    mcp_path = args.mcp_path or environ.get("CANARY_MCP_PATH", "/mcp")
    try:
        probe_unread = args.probe_unread or parse_bool(environ.get("CANARY_PROBE_UNREAD", ""))
    except ValueError:
        raise UsageError("CANARY_PROBE_UNREAD must be true or false") from None
    return CanaryConfig(
        base_url=base_url,
        token=token,
        mcp_path=mcp_path if mcp_path.startswith("/") else "/" + mcp_path,
        timeout=timeout,
        probe_unread=probe_unread,
        no_auth=args.no_auth,
        refresh_token_file=refresh_file,
        client_id=client_id,
    )


def canary_command(
    args: argparse.Namespace, *, out: TextIO, err: TextIO, environ: Mapping[str, str] | None = None
) -> int:
    """Run ``mctltg canary``; returns the exit code (0 success, 1 failure, 2 usage)."""
    environ = os.environ if environ is None else environ
    try:
        config = config_from(args, environ)
        serve_addr = args.serve or environ.get("CANARY_METRICS_ADDR") or None
        bind = _bind_address(serve_addr) if serve_addr else None
        if not args.interval > 0:
            raise UsageError("--interval must be a positive number of seconds")
    except UsageError as problem:
        print(f"mctltg canary: {problem}", file=err)
        return 2
    gateway = args.pushgateway or environ.get("PUSHGATEWAY_URL") or None
    metrics = CanaryMetrics()
    instance = urlsplit(config.base_url).netloc
    if bind is not None:
        return trio.run(functools.partial(_serve_forever, config, metrics, bind, args.interval, out=out))

    async def once() -> int:
        report = await probe(config)
        for line in report.lines():
            print(line, file=out, flush=True)
        metrics.record(report)
        if gateway is not None:
            try:
                await metrics.push(gateway, job=args.job, instance=instance, http_timeout=config.timeout)
            except OSError as exc:
                print(f"mctltg canary: could not push to the Pushgateway: {describe(exc)}", file=err)
                return 1
            print(f"canary: metrics pushed to {gateway} (job {args.job})", file=out)
        return 0 if report.success else 1

    return trio.run(once)


def _bind_address(addr: str) -> str:
    """``HOST:PORT`` checked as the server checks ``ADDR`` (``[v6]:port`` too), as Hypercorn binds it."""
    try:
        split_host_port(addr)
    except ValueError as problem:
        raise UsageError(f"--serve / CANARY_METRICS_ADDR: {problem}") from None
    return addr.strip()


async def _serve_forever(
    config: CanaryConfig, metrics: CanaryMetrics, bind: str, interval: float, *, out: TextIO
) -> int:
    from hypercorn.config import Config
    from hypercorn.trio import serve
    from prometheus_client import make_asgi_app

    from mctltg.asgi.serve import wait_for_signal

    hypercorn = Config()
    hypercorn.bind = [bind]
    hypercorn.accesslog = None
    hypercorn.graceful_timeout = 1
    app: Any = make_asgi_app(metrics.registry)
    async with trio.open_nursery() as nursery:

        async def serve_until_signal(task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
            await serve(app, hypercorn, shutdown_trigger=wait_for_signal, task_status=task_status)
            nursery.cancel_scope.cancel()  # SIGTERM/SIGINT: stop probing too

        async def probe_forever() -> None:
            while True:
                report = await probe(config)
                metrics.record(report)
                for line in report.lines():
                    print(line, file=out, flush=True)
                await trio.sleep(interval)

        binds = await nursery.start(serve_until_signal)
        print(
            f"canary: serving metrics on {binds[0]}/metrics, probing every {interval:g} s",
            file=out,
            flush=True,
        )
        nursery.start_soon(probe_forever)
    return 0
