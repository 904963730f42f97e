"""One probe run: the steps a client takes against a deployment, each under its own deadline.

Steps, in order: ``as_metadata`` (skipped with ``no_auth``; a failure stops the run),
``token_refresh`` (only with a refresh-token file), ``initialize``, ``list_dialogs`` and,
with ``probe_unread``, ``get_unread_messages``. A failing deployment never raises: every
problem becomes a step's one-line note, with the token masked.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import trio

__all__ = ["STEPS", "CanaryConfig", "CanaryReport", "StepResult", "describe", "probe"]

STEPS: Final = ("as_metadata", "token_refresh", "initialize", "list_dialogs", "get_unread_messages")
_FLOOD_MARKERS: Final = ("FLOOD_WAIT", "FLOOD_PREMIUM_WAIT", '"flood_wait"')


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
    """Replace ``path`` with ``text`` atomically and durably, readable by its owner only.

    The server has already rotated the token: losing the new one to a crash would lock the
    canary out (the old one, replayed, revokes the whole family), so it is synced before
    the rename. ``fchmod`` covers a leftover ``.new`` file created with a wider mode.
    """
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
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
            note = describe(exc)
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
                    raise _StepFailed(describe(problems[0]) if problems else "the MCP session did not open")

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


def describe(exc: BaseException) -> str:
    """A one-line description of a client-side failure (the caller masks the token)."""
    if isinstance(exc, BaseExceptionGroup):
        return describe(exc.exceptions[0])
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
