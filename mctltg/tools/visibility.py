"""Which tools a caller sees: scopes decide the tool list, and the operator can go read-only.

Installed as an SDK middleware (``MCPServer.middleware``, the 2.x hook that wraps every
inbound message), so it applies to every tool, whoever registered it:

* ``tools/list`` leaves out each tool whose ``mctltg/scope`` (its ``_meta``) names a
  scope neither the caller's token nor the caller's tier holds: a tool the tier allows
  is listed even when the token lacks its scope, because calling it gets the step-up
  challenge (403 ``insufficient_scope``, ``oauth/step_up.py``) and the client can ask
  the person for it. ``send_message`` is the one exception the operator may choose
  (``SHOW_SEND_PREVIEW_TOOL``): it is then listed to callers whose tier cannot send
  too, and answers them with drafts only, because its gate sees the missing scope.
* ``MCP_TOOL_FILTER=read-only`` makes the server look as if only tools annotated
  ``readOnlyHint: true`` were registered: the others are neither listed nor callable
  (a call gets the JSON-RPC error for an unknown tool, ``unknown_names.py``).

A tool hidden by scope is still callable: its own scope check (``tools/declare.py``) or gate
refuses or previews the call, so hiding is about not tempting a model, not about access.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp_types import ListToolsResult, Tool

from mctltg.errors import PermissionDenied
from mctltg.tools.context import ToolDeps, current_caller
from mctltg.tools.unknown_names import unknown_tool

__all__ = ["READ_ONLY_FILTER", "ToolVisibility", "install_tool_visibility", "visible"]

#: ``MCP_TOOL_FILTER`` value that serves only tools annotated ``readOnlyHint: true``.
READ_ONLY_FILTER = "read-only"


def visible(tool: Tool, scopes: frozenset[str], *, read_only: bool, show_send_preview: bool) -> bool:
    """Whether ``tool`` is listed to a caller holding ``scopes`` (pure)."""
    if read_only and not (tool.annotations is not None and tool.annotations.read_only_hint is True):
        return False
    meta = tool.meta or {}
    scope = meta.get("mctltg/scope")
    if not isinstance(scope, str) or scope in scopes:
        return True
    return bool(meta.get("mctltg/preview_without_scope")) and show_send_preview


class ToolVisibility:
    """The middleware; see the module docstring."""

    def __init__(self, server: MCPServer, deps: ToolDeps) -> None:
        self._server = server
        self._deps = deps

    @property
    def _read_only(self) -> bool:
        return self._deps.tool_filter == READ_ONLY_FILTER

    async def _scopes(self) -> frozenset[str]:
        """The token's scopes and what the caller's tier allows (a missing one is a step-up away)."""
        try:
            caller = await current_caller(self._deps)
        except PermissionDenied:
            return frozenset()
        allowed = self._deps.allowed_scopes
        if allowed is None:
            return caller.scopes
        return caller.scopes | await allowed(caller.subject)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/list":
            result = await call_next(ctx)
            scopes = await self._scopes()

            def keep(tool: Tool) -> bool:
                return visible(
                    tool, scopes, read_only=self._read_only, show_send_preview=self._deps.show_send_preview
                )

            # The SDK hands middleware the result already serialised (a dict); accept both.
            if isinstance(result, ListToolsResult):
                return result.model_copy(update={"tools": [t for t in result.tools if keep(t)]})
            if isinstance(result, dict) and isinstance(result.get("tools"), list):
                tools = [t for t in result["tools"] if keep(Tool.model_validate(t))]
                return {**result, "tools": tools}
            return result
        if ctx.method == "tools/call" and self._read_only:
            name = ctx.params.get("name") if ctx.params else None
            if isinstance(name, str) and not await self._is_read_only(name):
                raise unknown_tool(name)
        return await call_next(ctx)

    async def _is_read_only(self, name: str) -> bool:
        for tool in await self._server.list_tools():
            if tool.name == name:
                return tool.annotations is not None and tool.annotations.read_only_hint is True
        return True  # unknown: let the SDK answer as it always does


def install_tool_visibility(server: MCPServer, deps: ToolDeps) -> None:
    """Append the middleware to ``server`` (innermost: it sees the caller's auth context)."""
    server.middleware.append(ToolVisibility(server, deps))
