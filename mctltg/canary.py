"""``mctltg canary``: a black-box probe of a running deployment, as a client sees it.

It imports nothing of the server: it speaks HTTP and MCP to a base URL with a
read-only bearer token, exactly like Claude.ai or ChatGPT would. Steps, in order:

1. ``as_metadata`` — ``GET /.well-known/oauth-authorization-server`` names an issuer,
   an authorization endpoint and a token endpoint (RFC 8414). If it fails the run stops.
   With ``--no-auth`` (a local-dev server such as ``mctltg demo``, which is not an OAuth
   issuer) the step is skipped, and the report says so.
2. ``token_refresh`` — only with ``--refresh-token-file``: an unattended canary outlives
   any access token, so each run trades its refresh token at the advertised token
   endpoint for a fresh access token and writes the rotated refresh token back (0600).
3. ``initialize`` — the MCP ``initialize`` handshake over Streamable HTTP.
4. ``list_dialogs`` — ``tools/call list_dialogs {limit: 5}``.
5. ``get_unread_messages`` — ``{limit: 1}``, only with ``--probe-unread``.

A tool error counts as a failure, and so does any answer mentioning ``FLOOD_WAIT``:
a canary account that is being rate-limited is an outage waiting to happen.

Results: one line per step on stdout (never the token, never any content), exit code
0 (every step passed), 1 (a step failed, or the push failed) or 2 (usage: no URL, no
token). ``mctl_telegram_canary_success``, ``mctl_telegram_canary_duration_seconds`` and
``mctl_telegram_canary_step_failure_total{step}`` are pushed to a Pushgateway
(``--pushgateway``), or with ``--serve HOST:PORT`` the probe repeats every
``--interval`` seconds and the metrics are served for Prometheus to scrape.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO
from urllib.parse import urlsplit

import trio

__all__ = ["STEPS", "CanaryConfig", "CanaryReport", "StepResult", "add_arguments", "canary_command", "probe"]

STEPS: Final = ("as_metadata", "token_refresh", "initialize", "list_dialogs", "get_unread_messages")
_FLOOD_MARKERS: Final = ("FLOOD_WAIT", "FLOOD_PREMIUM_WAIT", '"flood_wait"')
_DEFAULT_JOB: Final = "mctltg_canary"


class UsageError(Exception):
    """The canary was started without what it needs (exit code 2)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CanaryConfig:
    """What one probe run needs: a ``token``, a ``refresh_token_file``, or ``no_auth``."""

    base_url: str
    token: str | None
    #: Holds a refresh token (rotated on every run); with ``client_id``, replaces ``token``.
    refresh_token_file: Path | None = None
    client_id: str | None = None
    mcp_path: str = "/mcp"
    timeout: float = 30.0
    probe_unread: bool = False
    no_auth: bool = False

    def __repr__(self) -> str:  # the token must never reach a traceback or a log line
        return f"CanaryConfig(base_url={self.base_url!r}, no_auth={self.no_auth})"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    step: str
    ok: bool
    seconds: float
    #: One line on what went wrong (a failure), or why the step was skipped.
    note: str | None = None
    skipped: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CanaryReport:
    steps: tuple[StepResult, ...]
    seconds: float

    @property
    def success(self) -> bool:
        return all(step.ok for step in self.steps)

    def lines(self) -> list[str]:
        shown = []
        for step in self.steps:
            state = "skipped" if step.skipped else ("ok" if step.ok else "FAILED")
            note = f" ({step.note})" if step.note else ""
            shown.append(f"canary {step.step}: {state} in {step.seconds:.3f} s{note}")
        verdict = "success" if self.success else "FAILURE"
        shown.append(f"canary: {verdict} in {self.seconds:.3f} s")
        return shown


class _StepFailed(Exception):
    pass


def _flooded(*texts: str) -> bool:
    return any(marker in text for text in texts for marker in _FLOOD_MARKERS)


async def _check_as_metadata(http: Any, config: CanaryConfig, found: dict[str, str]) -> None:
    response = await http.get(config.base_url + "/.well-known/oauth-authorization-server")
    if response.status_code != 200:
        raise _StepFailed(f"HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError:
        raise _StepFailed("the answer is not JSON") from None
    missing = [
        name for name in ("issuer", "authorization_endpoint", "token_endpoint") if not document.get(name)
    ]
    if missing:
        raise _StepFailed(f"metadata lacks {', '.join(missing)}")
    found["token_endpoint"] = str(document["token_endpoint"])


async def _refresh(http: Any, config: CanaryConfig, token_endpoint: str) -> None:
    """Trade the stored refresh token for an access token; store the rotated one (0600)."""
    assert config.refresh_token_file is not None
    path = trio.Path(config.refresh_token_file)
    response = await http.post(
        token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": (await path.read_text(encoding="utf-8")).strip(),
            "client_id": config.client_id or "",
        },
    )
    if response.status_code != 200:
        try:
            error = str(response.json().get("error", ""))[:64]
        except ValueError:
            error = ""
        raise _StepFailed(f"HTTP {response.status_code} {error}".strip())
    issued = response.json()
    if issued.get("refresh_token"):
        await trio.to_thread.run_sync(_write_private, config.refresh_token_file, issued["refresh_token"])
    http.headers["Authorization"] = f"Bearer {issued['access_token']}"


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, readable by its owner only."""
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    os.replace(temporary, path)


async def _call_tool(client: Any, name: str, arguments: dict[str, Any]) -> None:
    result = await client.call_tool(name, arguments)
    if not result.is_error:
        return  # (message texts in a good result are content: never searched, never printed)
    texts = [getattr(block, "text", "") for block in result.content]
    structured = result.structured_content or {}
    if _flooded(*texts, repr(structured)):
        raise _StepFailed("Telegram answered FLOOD_WAIT")
    kind = structured.get("error", "error") if isinstance(structured, dict) else "error"
    raise _StepFailed(f"tool error {str(kind)[:40]}")


async def probe(config: CanaryConfig) -> CanaryReport:
    """Run the steps once against ``config.base_url``; never raises for a failing deployment."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    results: list[StepResult] = []
    started = time.perf_counter()
    headers = {} if config.token is None else {"Authorization": f"Bearer {config.token}"}

    async def step(name: str, action: Callable[[], Awaitable[None]]) -> bool:
        began = time.perf_counter()
        note: str | None = None
        try:
            with trio.fail_after(config.timeout):
                await action()
        except _StepFailed as failed:
            note = str(failed)
        except trio.TooSlowError:
            note = f"no answer within {config.timeout:g} s"
        except Exception as exc:  # a broken deployment shows up as any client error; report, go on
            note = _describe(exc)
        if note is not None and config.token:
            note = note.replace(config.token, "[redacted]")
        results.append(StepResult(step=name, ok=note is None, seconds=time.perf_counter() - began, note=note))
        return note is None

    async with httpx2.AsyncClient(headers=headers, timeout=config.timeout) as http:
        if config.no_auth:
            note = "--no-auth: a local-dev server is not an OAuth issuer"
            results.append(StepResult(step="as_metadata", ok=True, seconds=0.0, note=note, skipped=True))
        else:
            metadata: dict[str, str] = {}
            if not await step("as_metadata", lambda: _check_as_metadata(http, config, metadata)):
                return CanaryReport(steps=tuple(results), seconds=time.perf_counter() - started)
            if config.refresh_token_file is not None and not await step(
                "token_refresh", lambda: _refresh(http, config, metadata["token_endpoint"])
            ):
                return CanaryReport(steps=tuple(results), seconds=time.perf_counter() - started)

        client_box: list[Any] = []
        problems: list[BaseException] = []
        async with trio.open_nursery() as nursery:
            # The MCP client's context (its own task group) must be entered and left in one
            # task, outside the per-step deadlines: a helper task owns it while steps run.
            opened = trio.Event()
            done = trio.Event()

            async def own_client() -> None:
                try:
                    async with Client(
                        streamable_http_client(config.base_url + config.mcp_path, http_client=http),
                        mode="legacy",
                    ) as client:
                        client_box.append(client)
                        opened.set()
                        await done.wait()
                except Exception as exc:  # reported by the initialize step (or ignored on close)
                    problems.append(exc)
                finally:
                    opened.set()

            async def initialize() -> None:
                nursery.start_soon(own_client)
                await opened.wait()
                if not client_box:
                    raise _StepFailed(_describe(problems[0]) if problems else "the MCP session did not open")

            opened_ok = False
            try:
                opened_ok = await step("initialize", initialize)
                if opened_ok:
                    client = client_box[0]
                    ok = await step("list_dialogs", lambda: _call_tool(client, "list_dialogs", {"limit": 5}))
                    if ok and config.probe_unread:
                        await step(
                            "get_unread_messages",
                            lambda: _call_tool(client, "get_unread_messages", {"limit": 1}),
                        )
            finally:
                done.set()
                if opened_ok:  # close the session politely, but not for ever
                    nursery.cancel_scope.deadline = trio.current_time() + min(config.timeout, 5.0)
                else:
                    nursery.cancel_scope.cancel()
    return CanaryReport(steps=tuple(results), seconds=time.perf_counter() - started)


def _describe(exc: BaseException) -> str:
    """A one-line description of a client-side failure (the caller masks the token)."""
    if isinstance(exc, BaseExceptionGroup):
        return _describe(exc.exceptions[0])
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# --- metrics ------------------------------------------------------------------------------------


class CanaryMetrics:
    """The three canary metric families in their own registry (pushed or served)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge

        self.registry = CollectorRegistry()
        self._success = Gauge(
            "mctl_telegram_canary_success", "1 if every canary step passed, else 0", registry=self.registry
        )
        self._duration = Gauge(
            "mctl_telegram_canary_duration_seconds",
            "Wall-clock time of the canary run",
            registry=self.registry,
        )
        self._failures = Counter(
            "mctl_telegram_canary_step_failure",
            "Canary step failures, by step",
            ["step"],
            registry=self.registry,
        )
        for name in STEPS:
            self._failures.labels(name)

    def record(self, report: CanaryReport) -> None:
        self._success.set(1 if report.success else 0)
        self._duration.set(report.seconds)
        for step in report.steps:
            if not step.ok:
                self._failures.labels(step.step).inc()

    async def push(self, gateway: str, *, job: str, instance: str, http_timeout: float) -> None:
        """PUT the registry to ``gateway`` (urllib in a thread, bounded by ``http_timeout``)."""
        from prometheus_client import push_to_gateway

        push = functools.partial(
            push_to_gateway,
            gateway,
            job=job,
            registry=self.registry,
            grouping_key={"instance": instance},
            timeout=http_timeout,
        )
        await trio.to_thread.run_sync(push)


# --- command ------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``canary`` subcommand's options; each falls back to an environment variable."""
    parser.add_argument("--base-url", help="the deployment's PUBLIC_BASE_URL (env CANARY_BASE_URL)")
    parser.add_argument("--mcp-path", help="MCP endpoint path (env CANARY_MCP_PATH, default /mcp)")
    parser.add_argument(
        "--token-file",
        type=Path,
        help="file holding the read-only bearer token (or env CANARY_BEARER_TOKEN; never a flag value)",
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


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def config_from(args: argparse.Namespace, environ: Mapping[str, str]) -> CanaryConfig:
    """Build the probe's configuration from flags, then the environment.

    Raises:
        UsageError: no base URL, a malformed one, or no token without ``--no-auth``.
    """
    base_url = (args.base_url or environ.get("CANARY_BASE_URL", "")).strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            "give the deployment's URL with --base-url or CANARY_BASE_URL, e.g. https://tg.example.com"
        )
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
                "a read-only bearer token is needed: set CANARY_BEARER_TOKEN, --token-file or "
                "--refresh-token-file (or --no-auth for a local-dev server)"
            )
    timeout_text = str(args.timeout) if args.timeout is not None else environ.get("CANARY_TIMEOUT", "30")
    try:
        timeout = float(timeout_text.removesuffix("s"))
    except ValueError:
        raise UsageError("--timeout / CANARY_TIMEOUT must be a number of seconds") from None
    if not 0 < timeout <= 600:
        raise UsageError("--timeout / CANARY_TIMEOUT must be between 0 and 600 seconds")
    mcp_path = args.mcp_path or environ.get("CANARY_MCP_PATH", "/mcp")
    return CanaryConfig(
        base_url=base_url,
        token=token,
        mcp_path=mcp_path if mcp_path.startswith("/") else "/" + mcp_path,
        timeout=timeout,
        probe_unread=args.probe_unread or _truthy(environ.get("CANARY_PROBE_UNREAD")),
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
        bind = _parse_bind(serve_addr) if serve_addr else None
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
                print(f"mctltg canary: could not push to the Pushgateway: {_describe(exc)}", file=err)
                return 1
            print(f"canary: metrics pushed to {gateway} (job {args.job})", file=out)
        return 0 if report.success else 1

    return trio.run(once)


async def _wait_for_signal() -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            return


def _parse_bind(addr: str) -> tuple[str, int]:
    host, sep, port = addr.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise UsageError("--serve / CANARY_METRICS_ADDR must be host:port, e.g. 127.0.0.1:9090")
    return host.strip("[]") or "0.0.0.0", int(port)


async def _serve_forever(
    config: CanaryConfig, metrics: CanaryMetrics, bind: tuple[str, int], interval: float, *, out: TextIO
) -> int:
    from hypercorn.config import Config
    from hypercorn.trio import serve
    from prometheus_client import make_asgi_app

    hypercorn = Config()
    host, port = bind
    hypercorn.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    hypercorn.accesslog = None
    hypercorn.graceful_timeout = 1
    app: Any = make_asgi_app(metrics.registry)
    async with trio.open_nursery() as nursery:

        async def serve_until_signal(task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
            await serve(app, hypercorn, shutdown_trigger=_wait_for_signal, task_status=task_status)
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
