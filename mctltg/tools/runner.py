"""The one path every tool call takes: caller, scope, body, result or error, audit row.

Keeping this in one place means every tool gets the same error shape, the same
logging (tool name, outcome, duration — never arguments or content), the same audit
row and, as the product grows, the same metrics.

The audit row records the time, the identity, the tool, the peer reduced to its type
and numeric id, and the outcome: ``ok``, ``draft`` (a send previewed, not sent),
``rate_limited`` (a draft because the per-peer limit is spent), or ``error:<kind>``
with the catalogue's kind. Never arguments, never message text.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio
from mcp_types import CallToolResult, TextContent

from mctltg.errors import MctltgError, PermissionDenied
from mctltg.telegram import parse_peer
from mctltg.tools.catalog import error_kind, error_result, internal_error_result
from mctltg.tools.context import Caller, ToolDeps, current_caller

__all__ = ["redact_peer", "run_tool", "success"]

logger = logging.getLogger("mctltg.tools")

_AUDIT_SECONDS: Final = 5.0


def success(payload: dict[str, Any], deps: ToolDeps) -> CallToolResult:
    """A successful result: the same JSON as text and as ``structuredContent``."""
    if deps.sandbox:
        payload = {**payload, "sandbox": True}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=payload)


async def run_tool(
    deps: ToolDeps,
    name: str,
    scope: str | None,
    body: Callable[[Caller], Awaitable[CallToolResult]],
    *,
    peer: object = None,
    audited: bool = True,
    anonymous: Callable[[], Awaitable[CallToolResult]] | None = None,
) -> CallToolResult:
    """Resolve the caller, check ``scope``, run ``body`` and turn errors into results.

    Args:
        scope: the scope the call needs, or None for any authenticated caller.
        peer: the peer argument as given; only its type and numeric id reach the audit row.
        audited: False only for reading the audit log itself (no audit-of-audit rows).
        anonymous: runs instead of ``body`` when the call has no identity (``send_message``
            answers it with a draft); without it such a call is refused.
    """
    started = time.perf_counter()
    outcome = "ok"
    identity_id: int | None = None
    try:
        try:
            caller = await current_caller(deps)
        except PermissionDenied:
            if anonymous is None:
                raise
            result = await anonymous()
        else:
            identity_id = caller.identity_id
            if scope is not None:
                caller.require(scope)
            result = await body(caller)
        outcome = _result_outcome(result)
        return result
    except MctltgError as exc:
        outcome = f"error:{error_kind(exc)}"
        return error_result(exc)
    except trio.Cancelled:
        outcome = "error:cancelled"
        raise
    except Exception:
        reference = secrets.token_hex(4)
        outcome = "error:internal"
        logger.exception("tool %s failed unexpectedly (reference %s)", name, reference)
        return internal_error_result(reference)
    finally:
        elapsed = time.perf_counter() - started
        logger.info(
            "tool call", extra={"tool": name, "outcome": outcome, "duration_ms": round(elapsed * 1000, 1)}
        )
        if deps.metrics is not None:
            deps.metrics.observe_tool_call(tool=name, outcome=outcome, seconds=elapsed)
        if audited and deps.audit is not None:
            await _audit(deps, identity_id, name, peer, outcome)


def _result_outcome(result: CallToolResult) -> str:
    payload = result.structured_content or {}
    if result.is_error:
        return f"error:{payload.get('error', 'error')}"
    if payload.get("mode") == "draft":
        return "rate_limited" if payload.get("dry_reason_code") == "rate_limit" else "draft"
    return "ok"


def redact_peer(peer: object) -> tuple[str | None, int | None]:
    """A peer argument reduced to what an audit row may hold: its type and numeric id."""
    if peer is None:
        return None, None
    try:
        ref = parse_peer(peer)
    except MctltgError:
        return "invalid", None
    return ref.kind, ref.id


async def _audit(deps: ToolDeps, identity_id: int | None, name: str, peer: object, outcome: str) -> None:
    assert deps.audit is not None
    peer_type, peer_id = redact_peer(peer)
    # Shielded and bounded: a cancelled call is still audited, and a slow disk cannot hang it.
    with trio.CancelScope(shield=True), trio.move_on_after(_AUDIT_SECONDS):
        try:
            await deps.audit.append(
                identity_id=identity_id, tool=name, outcome=outcome, peer_type=peer_type, peer_id=peer_id
            )
        except MctltgError as exc:
            logger.warning("tool %s: the audit row could not be written: %s", name, exc)
