"""The one path every tool call takes: caller, scope, body, result or error.

Keeping this in one place means every tool gets the same error shape, the same
logging (tool name, outcome, duration — never arguments or content) and, as the
product grows, the same audit row and metrics.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from mcp_types import CallToolResult, TextContent

from mctltg.errors import MctltgError
from mctltg.tools.catalog import error_kind, error_result, internal_error_result
from mctltg.tools.context import Caller, ToolDeps, current_caller

__all__ = ["run_tool", "success"]

logger = logging.getLogger("mctltg.tools")


def success(payload: dict[str, Any], deps: ToolDeps) -> CallToolResult:
    """A successful result: the same JSON as text and as ``structuredContent``."""
    if deps.sandbox:
        payload = {**payload, "sandbox": True}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=payload)


async def run_tool(
    deps: ToolDeps, name: str, scope: str, body: Callable[[Caller], Awaitable[CallToolResult]]
) -> CallToolResult:
    """Resolve the caller, check ``scope``, run ``body`` and turn errors into results."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        caller = await current_caller(deps)
        caller.require(scope)
        result = await body(caller)
        if result.is_error:
            outcome = "error"
        return result
    except MctltgError as exc:
        outcome = f"error:{error_kind(exc)}"
        return error_result(exc)
    except trio.Cancelled:
        outcome = "cancelled"
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
