"""The error catalogue: every deliberate error becomes a stable tool error.

A tool error is an ``isError`` result whose text is one plain sentence and whose
``structuredContent`` is ``{"error": <kind>, "message": ..., ...}`` so a model can
branch on ``error`` (e.g. ``flood_wait`` with ``retry_after_seconds``). Unexpected
exceptions become ``internal`` with no detail: details go to the log only.
"""

from __future__ import annotations

from typing import Any, Final

from mcp_types import CallToolResult, TextContent

from mctltg.errors import (
    AccountNotReady,
    AccountRevoked,
    FloodWait,
    InvalidInput,
    MctltgError,
    NoAccount,
    NotShared,
    PeerInvalid,
    PermissionDenied,
    ProbableDuplicate,
    SessionDead,
    StorageError,
    TelegramRpcError,
    TelegramTimeout,
    TelegramUnavailable,
)

__all__ = ["ERROR_KINDS", "error_kind", "error_result", "internal_error_result"]

#: Most specific first: the first matching class names the kind.
ERROR_KINDS: Final[tuple[tuple[type[MctltgError], str], ...]] = (
    (InvalidInput, "invalid_input"),
    (PermissionDenied, "permission_denied"),
    (ProbableDuplicate, "probable_duplicate"),
    (NoAccount, "no_account"),
    (AccountRevoked, "account_revoked"),
    (SessionDead, "account_revoked"),
    (AccountNotReady, "not_ready"),
    (FloodWait, "flood_wait"),
    (TelegramTimeout, "timeout"),
    (TelegramUnavailable, "unavailable"),
    (PeerInvalid, "peer_invalid"),
    (NotShared, "not_shared"),
    (TelegramRpcError, "telegram_error"),
    (StorageError, "storage_error"),
)


def error_kind(exc: MctltgError) -> str:
    for cls, kind in ERROR_KINDS:
        if isinstance(exc, cls):
            return kind
    return "error"


def error_result(exc: MctltgError) -> CallToolResult:
    """The tool result for a deliberate error; the text is safe to show and to log."""
    message = str(AccountRevoked()) if isinstance(exc, SessionDead) else str(exc)
    payload: dict[str, Any] = {"error": error_kind(exc), "message": message}
    if isinstance(exc, FloodWait):
        payload["retry_after_seconds"] = exc.retry_after_seconds
    if isinstance(exc, InvalidInput):
        payload["field"] = exc.field
    if isinstance(exc, PermissionDenied) and exc.scope:
        payload["scope"] = exc.scope
    if isinstance(exc, TelegramRpcError):
        payload["code"] = exc.code
    return CallToolResult(
        content=[TextContent(type="text", text=message)], structured_content=payload, is_error=True
    )


def internal_error_result(reference: str) -> CallToolResult:
    message = f"The server failed unexpectedly (reference {reference}); the operator can find it in the logs."
    return CallToolResult(
        content=[TextContent(type="text", text=message)],
        structured_content={"error": "internal", "message": message},
        is_error=True,
    )
