"""Arguments of the wrong type get the same one-sentence ``invalid_input`` error as every other mistake.

The SDK checks each call's arguments against the tool's signature before our code
runs, and reports a mismatch as a multi-line pydantic dump ("1 validation error for
get_messagesArguments / peer / Field required [type=missing, ...] / For further
information visit ...") with no ``structuredContent``. This middleware (an
``MCPServer.middleware``, like ``visibility.py``) leaves every other answer alone and
turns that one into ``{"error": "invalid_input", "field": ..., "message": ...}``:
one sentence naming the argument, what was wrong, and what the tool expects.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult
from pydantic import ValidationError

from mctltg.errors import InvalidInput
from mctltg.tools.context import ToolDeps
from mctltg.tools.declare import marked
from mctltg.tools.failures import error_result

__all__ = ["ArgumentErrors", "install_argument_errors", "sentence_for"]

_PHRASES = {
    "missing": "is required",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "literal_error": "is not one of the accepted values",
    "enum": "is not one of the accepted values",
    "greater_than_equal": "is too small",
    "less_than_equal": "is too large",
    "string_too_long": "is too long",
    "too_long": "has too many items",
}


def sentence_for(error: ValidationError, tool: str) -> InvalidInput:
    """The first problem in ``error`` as an ``InvalidInput`` naming its argument (pure)."""
    first = error.errors(include_url=False)[0]
    location = [str(part) for part in first.get("loc", ()) if not isinstance(part, int)]
    field = location[0] if location else "arguments"
    problem = _PHRASES.get(first.get("type", ""), first.get("msg", "is not valid").rstrip(".").lower())
    if first.get("type") != "missing":
        problem = f"{problem}; got {_shown(first.get('input'))}"
    return InvalidInput(field, f"{problem} (see the {tool} input schema)")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


class ArgumentErrors:
    """The middleware; see the module docstring."""

    def __init__(self, server: MCPServer[Any], deps: ToolDeps) -> None:
        self._server = server
        self._deps = deps

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/call" or not _is_unstructured_error(result):
            return result
        params = ctx.params or {}
        name, arguments = params.get("name"), params.get("arguments") or {}
        tool = self._server._tool_manager.get_tool(name) if isinstance(name, str) else None
        if tool is None or not isinstance(arguments, dict):
            return result
        try:
            tool.fn_metadata.arg_model.model_validate(tool.fn_metadata.pre_parse_json(arguments))
        except ValidationError as error:
            rewritten = marked(error_result(sentence_for(error, tool.name)), self._deps)
            if isinstance(result, dict):
                return rewritten.model_dump(mode="json", by_alias=True, exclude_none=True)
            return rewritten
        return result


def _is_unstructured_error(result: object) -> bool:
    if isinstance(result, CallToolResult):
        return result.is_error and result.structured_content is None
    if isinstance(result, dict):
        return bool(result.get("isError")) and result.get("structuredContent") is None
    return False


def install_argument_errors(server: MCPServer[Any], deps: ToolDeps) -> None:
    """Append the middleware to ``server``."""
    server.middleware.append(ArgumentErrors(server, deps))
