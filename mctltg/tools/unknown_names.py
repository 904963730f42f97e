"""An unknown tool or prompt name is a JSON-RPC error (-32602 Invalid params), not a result.

MCP (2025-11-25, Tools, "Error Handling") separates protocol errors, reported as
JSON-RPC errors ("Unknown tools", "Invalid arguments"; its example answers
``{"code": -32602, "message": "Unknown tool: invalid_tool_name"}``), from tool execution
errors, reported as results with ``isError: true``. The SDK answers an unknown tool with
an ``isError`` result, and an unknown prompt by raising ``ValueError``, which its
dispatchers turn into code 0 (2025-11-25 wire) or -32603 (2026-07-28 wire) and log as an
ERROR traceback on every call. This middleware (an ``MCPServer.middleware``, like
``visibility.py``) checks the name against what the server has before the SDK looks, and
raises ``MCPError(-32602)``, which both wires answer as that error and nobody logs as a crash.
The lookups use the SDK's managers directly (one dict lookup on every call; ``tools/declare.py``
reaches the tool manager the same way), because the public ``list_tools`` rebuilds the whole list.
A tool the operator's ``MCP_TOOL_FILTER`` removes is unknown the same way (``visibility.py``).
"""

from __future__ import annotations

from typing import Any, Final

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

__all__ = ["UnknownNames", "install_unknown_names", "unknown_tool"]

_CHECKED: Final = frozenset({"tools/call", "prompts/get"})


def unknown_tool(name: str) -> MCPError:
    """The JSON-RPC error for a tool this server does not serve."""
    return MCPError(INVALID_PARAMS, f"Unknown tool: {name}. tools/list shows the tools this server offers.")


def _unknown_prompt(name: str) -> MCPError:
    return MCPError(
        INVALID_PARAMS, f"Unknown prompt: {name}. prompts/list shows the prompts this server offers."
    )


class UnknownNames:
    """The middleware; see the module docstring."""

    def __init__(self, server: MCPServer[Any]) -> None:
        self._server = server

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method in _CHECKED:
            name = ctx.params.get("name") if ctx.params else None
            if isinstance(name, str):  # a missing or non-string name is the SDK's own -32602
                if ctx.method == "tools/call" and self._server._tool_manager.get_tool(name) is None:
                    raise unknown_tool(name)
                if ctx.method == "prompts/get" and self._server._prompt_manager.get_prompt(name) is None:
                    raise _unknown_prompt(name)
        return await call_next(ctx)


def install_unknown_names(server: MCPServer[Any]) -> None:
    """Append the middleware to ``server``."""
    server.middleware.append(UnknownNames(server))
