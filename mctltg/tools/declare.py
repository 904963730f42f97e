"""``@tool``: a tool is one top-level function, declared once with its scope, title and hints.

    @tool(MESSAGES_READ, title="Read a chat", hints=READ_ONLY, output=GetMessagesOut)
    async def get_messages(ctx: ToolContext, peer: str, limit: int = 50) -> dict[str, Any]:
        account = await ctx.account()
        ...

The decorator returns a ``DeclaredTool``: the function plus its metadata. Registering it
(``register``) gives the SDK an entry whose signature is the function's own minus
``ctx`` plus the SDK's ``Context``; every call then takes the one path that was
``run_tool``: resolve the caller, check the scope, run the function, turn its payload
into a result (``"sandbox": true`` on every result of a sandbox server, errors
included) or its deliberate error into the catalogued error result, log and count the
call, and leave an audit row. The input and output schemas are generated from the
declared signature and output model, without the SDK's noise (``tools/schema.py``).

Every tool that uses Telegram (its scope is a ``telegram:`` scope, or it is declared
``per_account=True``) takes an optional ``account`` argument, added here once: a label
or id of one of the caller's accounts (``list_my_accounts``), the default account when
omitted. The decorator takes it off the arguments into ``ToolContext.account_choice``,
so ``ctx.account()`` (and the gated sends, given ``ctx.account_choice``) use that
account; its schema is the bare ``{"type": "string"}`` (the server instructions and
``list_my_accounts`` say what it means: every byte of ``tools/list`` counts).

The audit row records the time, the identity, the account the call used (when it used
one), the tool, the peer reduced to its type and numeric id, and the outcome: ``ok``,
``draft`` (a send previewed, not sent), ``rate_limited`` (a draft because the per-peer
limit is spent), or ``error:<kind>`` with the failure catalogue's kind. Never arguments,
never message text.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import time
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

import trio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel

from mctltg.errors import InvalidInput, MctltgError, PermissionDenied
from mctltg.telegram.peers import parse_peer
from mctltg.tools.context import Caller, Reply, ToolContext, ToolDeps, current_caller, success
from mctltg.tools.failures import error_kind, error_result, internal_error_result
from mctltg.tools.schema import lean_input_schema, lean_output_schema

__all__ = [
    "ACCOUNT_ARG",
    "ADMIN",
    "DESTRUCTIVE",
    "LOCAL_WRITE",
    "READ_LOCAL",
    "READ_ONLY",
    "WRITE",
    "DeclaredTool",
    "Hints",
    "Needs",
    "marked",
    "redact_peer",
    "register",
    "tool",
]

logger = logging.getLogger("mctltg.tools")

ToolBody = Callable[..., Awaitable[dict[str, Any] | Reply]]
#: The argument every Telegram tool takes to pick one of the caller's accounts.
ACCOUNT_ARG: Final = "account"
#: Its published schema (bare on purpose; see the module docstring).
_ACCOUNT_SCHEMA: Final[dict[str, Any]] = {"type": "string"}
#: A service a tool needs; a server without it does not register the tool.
Needs = Literal["sending", "audit", "access", "admin", "workers", "media_send"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Hints:
    """The MCP ``ToolAnnotations`` behaviour hints."""

    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool


#: Reads Telegram.
READ_ONLY: Final = Hints(read_only=True, destructive=False, idempotent=True, open_world=True)
#: Reads only this server's own records.
READ_LOCAL: Final = Hints(read_only=True, destructive=False, idempotent=True, open_world=False)
#: Changes Telegram state the user sees, harmlessly and repeatably (mark read).
WRITE: Final = Hints(read_only=False, destructive=False, idempotent=True, open_world=True)
#: Changes this server's own settings.
LOCAL_WRITE: Final = Hints(read_only=False, destructive=False, idempotent=True, open_world=False)
#: Ends or erases something on this server.
DESTRUCTIVE: Final = Hints(read_only=False, destructive=True, idempotent=True, open_world=False)
#: An administrator's change to someone else's access.
ADMIN: Final = LOCAL_WRITE


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredTool:
    """A tool function and everything said about it at its declaration."""

    fn: ToolBody
    name: str
    title: str
    description: str
    scope: str | None
    hints: Hints
    output: type[BaseModel]
    #: False: the scope is shown (``_meta``) but the tool decides itself (send_message's gate).
    enforce_scope: bool = True
    #: True: a call without an identity still runs, with ``ctx.caller`` None (drafts only).
    anonymous: bool = False
    audited: bool = True
    needs: Needs | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: Takes the optional ``account`` argument.
    per_account: bool = False
    #: The decorator adds ``account`` (the function does not declare it): it reaches ``ctx``.
    account_added: bool = False

    def available(self, deps: ToolDeps) -> bool:
        """Whether a server built over ``deps`` offers this tool."""
        return self.needs is None or getattr(deps, self.needs) is not None


def tool(
    scope: str | None,
    *,
    title: str,
    hints: Hints,
    output: type[BaseModel],
    enforce_scope: bool = True,
    anonymous: bool = False,
    audited: bool = True,
    needs: Needs | None = None,
    meta: dict[str, Any] | None = None,
    per_account: bool | None = None,
) -> Callable[[ToolBody], DeclaredTool]:
    """Declare a tool; see the module docstring.

    Args:
        scope: the scope a call needs (and the tool list filters on), or None for any
            signed-in caller.
        output: the model whose schema is published as ``outputSchema``.
        meta: extra ``_meta`` entries (e.g. ``{"mctltg/setting": "ALLOW_MARK_READ"}``).
        per_account: whether the tool takes ``account``; by default, whether ``scope`` is
            a ``telegram:`` scope (every tool that calls Telegram needs one).
    """

    takes = (scope or "").startswith("telegram:") if per_account is None else per_account

    def declare(fn: ToolBody) -> DeclaredTool:
        full_meta = dict(meta or {})
        if scope is not None:
            full_meta["mctltg/scope"] = scope
        return DeclaredTool(
            fn=fn,
            name=fn.__name__,
            title=title,
            description=inspect.cleandoc(fn.__doc__ or ""),
            scope=scope,
            hints=hints,
            output=output,
            enforce_scope=enforce_scope,
            anonymous=anonymous,
            audited=audited,
            needs=needs,
            meta=full_meta,
            per_account=takes,
            account_added=takes and ACCOUNT_ARG not in inspect.signature(fn).parameters,
        )

    return declare


class _Entry:
    """What the SDK registers for a ``DeclaredTool``: its signature, with ``Context`` for ``ctx``."""

    def __init__(self, declared: DeclaredTool) -> None:
        self._declared = declared
        hints = typing.get_type_hints(declared.fn, include_extras=True)
        signature = inspect.signature(declared.fn)
        params = [p.replace(annotation=hints[p.name]) for p in list(signature.parameters.values())[1:]]
        if declared.account_added:
            # An id may come as a JSON number too; it is read as its digits.
            choice = inspect.Parameter(
                ACCOUNT_ARG, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=str | int | None
            )
            params.append(choice)
        context = inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context)
        returns = Annotated[CallToolResult, declared.output]
        self.__signature__ = signature.replace(parameters=[context, *params], return_annotation=returns)
        self.__annotations__ = {
            "context": Context,
            **{p.name: p.annotation for p in params},
            "return": returns,
        }
        self.__name__ = declared.name
        self.__doc__ = declared.description

    async def __call__(self, context: Context[Any, Any], **arguments: Any) -> CallToolResult:
        deps = context.request_context.lifespan_context
        assert isinstance(deps, ToolDeps), "build the server with tools.build_mcp_server"
        return await run(self._declared, deps, arguments)


def register(server: MCPServer[Any], declared: DeclaredTool) -> None:
    """Add ``declared`` to ``server`` with lean input and output schemas."""
    hints = declared.hints
    server.add_tool(
        _Entry(declared),
        name=declared.name,
        title=declared.title,
        description=declared.description,
        annotations=_annotations(hints),
        meta=declared.meta,
    )
    registered = server._tool_manager.get_tool(declared.name)
    assert registered is not None
    registered.parameters = lean_input_schema(registered.parameters)
    if declared.account_added:
        registered.parameters["properties"][ACCOUNT_ARG] = dict(_ACCOUNT_SCHEMA)
    metadata = registered.fn_metadata
    # Published, not re-validated on every call: the payloads are built by our own render code.
    metadata.output_schema = lean_output_schema(declared.output)
    metadata.output_model = None


def _annotations(hints: Hints) -> ToolAnnotations:
    """The MCP hints, leaving out every value equal to the spec's default.

    MCP defines ``readOnlyHint`` false, ``destructiveHint`` true, ``idempotentHint`` false and
    ``openWorldHint`` true when absent, and the last three only matter for tools that write:
    every byte of ``tools/list`` is in front of the model on every turn.
    """
    return ToolAnnotations(
        read_only_hint=True if hints.read_only else None,
        destructive_hint=None if hints.read_only or hints.destructive else False,
        idempotent_hint=True if hints.idempotent and not hints.read_only else None,
        open_world_hint=None if hints.open_world else False,
    )


async def run(declared: DeclaredTool, deps: ToolDeps, arguments: dict[str, Any]) -> CallToolResult:
    """Resolve the caller, check the scope, run the tool and turn errors into results."""
    name = declared.name
    started = time.perf_counter()
    outcome = "ok"
    identity_id: int | None = None
    ctx: ToolContext | None = None
    try:
        caller: Caller | None
        try:
            caller = await current_caller(deps)
        except PermissionDenied:
            if not declared.anonymous:
                raise
            caller = None
        if caller is not None:
            identity_id = caller.identity_id
            if declared.scope is not None and declared.enforce_scope:
                caller.require(declared.scope)
        ctx = _context(declared, deps, caller, arguments)
        payload = await declared.fn(ctx, **arguments)
        outcome = _payload_outcome(payload)
        return success(payload, deps)
    except MctltgError as exc:
        outcome = f"error:{error_kind(exc)}"
        return marked(error_result(exc), deps)
    except trio.Cancelled:
        outcome = "error:cancelled"
        raise
    except Exception:
        reference = secrets.token_hex(4)
        outcome = "error:internal"
        logger.exception("tool %s failed unexpectedly (reference %s)", name, reference)
        return marked(internal_error_result(reference), deps)
    finally:
        elapsed = time.perf_counter() - started
        logger.info(
            "tool call", extra={"tool": name, "outcome": outcome, "duration_ms": round(elapsed * 1000, 1)}
        )
        if deps.metrics is not None:
            deps.metrics.observe_tool_call(tool=name, outcome=outcome, seconds=elapsed)
        if declared.audited and deps.audit is not None:
            named = arguments.get("peer")
            if named is None and ctx is not None and ctx.named:
                named = str(ctx.named[0])
            peer_type, peer_id = redact_peer(named)
            await deps.audit.record(
                identity_id=identity_id,
                tool=name,
                outcome=outcome,
                peer_type=peer_type,
                peer_id=peer_id,
                account_id=ctx.used[0] if ctx is not None and ctx.used else None,
            )


def _context(
    declared: DeclaredTool, deps: ToolDeps, caller: Caller | None, arguments: dict[str, Any]
) -> ToolContext:
    """The call's context; a Telegram tool's ``account`` argument moves from ``arguments`` into it."""
    if not declared.account_added:
        return ToolContext(deps=deps, caller=caller)
    choice = arguments.pop(ACCOUNT_ARG, None)
    if choice is not None and not isinstance(choice, str | int):
        raise InvalidInput(ACCOUNT_ARG, "must be an account's label or id, as list_my_accounts gives them")
    return ToolContext(
        deps=deps, caller=caller, account_choice=None if choice is None else (str(choice).strip() or None)
    )


def marked(result: CallToolResult, deps: ToolDeps) -> CallToolResult:
    """An error result of a sandbox server says so too (``"sandbox": true`` in its structured content)."""
    if not deps.sandbox or result.structured_content is None:
        return result
    return result.model_copy(update={"structured_content": {**result.structured_content, "sandbox": True}})


def _payload_outcome(payload: dict[str, Any] | Reply) -> str:
    if isinstance(payload, Reply):
        payload = payload.payload
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
