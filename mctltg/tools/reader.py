"""The caller behind a prompt, a resource read or a completion, checked the way a tool call is.

Prompts (``prompts.py``), the chat resource (``resources.py``) and argument completion
(``completion.py``) read the person's Telegram outside ``tools/call``, so the ``@tool``
decorator does not guard them. These two helpers do the same checks for them: the
caller comes from this request's access token (or is the operator in operator mode), must
hold the scope, and gets only their own account.

* :func:`reading` is for prompts and resources: it leaves an audit row like a tool call
  (``prompt:<name>`` / ``resource:<name>``, the peer reduced to type and id, the outcome)
  and turns a deliberate error into a JSON-RPC error whose message is the error's one
  sentence (a bad argument or a message id the chat lacks is -32602, a refusal -32600, a
  Telegram failure -32603).
* :func:`account_or_none` is for completion: an anonymous or unscoped caller, or one
  without a usable account, simply gets no suggestions. Completion runs per keystroke,
  so it leaves no audit row; it returns only chat names the person could list anyway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST

from mctltg.accounts import TelegramAccount
from mctltg.errors import (
    AccountRevoked,
    InvalidInput,
    MctltgError,
    NoAccount,
    PeerInvalid,
    PermissionDenied,
    TelegramRpcError,
)
from mctltg.tools.context import ToolDeps, current_caller
from mctltg.tools.declare import redact_peer
from mctltg.tools.failures import error_kind

__all__ = ["account_or_none", "as_jsonrpc_error", "reading"]


def as_jsonrpc_error(exc: MctltgError) -> MCPError:
    """The JSON-RPC error for a deliberate error: its one sentence, under the fitting code."""
    if isinstance(exc, InvalidInput | PeerInvalid) or (
        isinstance(exc, TelegramRpcError) and exc.code == "MSG_ID_INVALID"
    ):
        code = INVALID_PARAMS
    elif isinstance(exc, PermissionDenied | NoAccount | AccountRevoked):
        code = INVALID_REQUEST
    else:
        code = INTERNAL_ERROR
    return MCPError(code=code, message=str(exc))


@asynccontextmanager
async def reading(
    deps: ToolDeps, what: str, *, scope: str, peer: str | None
) -> AsyncIterator[TelegramAccount]:
    """The caller's account for one prompt or resource read of ``peer``, audited as ``what``.

    Raises:
        MCPError: the caller may not read, has no account, or the read failed; the message
            is the one sentence the matching tool error would carry.
    """
    identity_id: int | None = None
    outcome = "ok"
    try:
        caller = await current_caller(deps)
        identity_id = caller.identity_id
        caller.require(scope)
        yield await deps.directory.account_for(caller.identity_id, None)
    except MctltgError as exc:
        outcome = f"error:{error_kind(exc)}"
        raise as_jsonrpc_error(exc) from None
    except trio.Cancelled:
        outcome = "error:cancelled"
        raise
    finally:
        if deps.audit is not None:
            peer_type, peer_id = redact_peer(peer)
            await deps.audit.record(
                identity_id=identity_id, tool=what, outcome=outcome, peer_type=peer_type, peer_id=peer_id
            )


async def account_or_none(deps: ToolDeps, scope: str) -> TelegramAccount | None:
    """The caller's account when the caller holds ``scope`` and has one ready; None otherwise."""
    try:
        caller = await current_caller(deps)
        caller.require(scope)
        return await deps.directory.account_for(caller.identity_id, None)
    except MctltgError:
        return None
