"""Register a tool with its title, behaviour hints and scope in one call.

Every tool states the same four hints (MCP ``ToolAnnotations``) and names the
scope it needs in ``_meta`` (read by the tool-list filter and the ``/docs`` page);
this keeps that declaration to one readable line per tool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

__all__ = ["add_tool"]


def add_tool(
    server: MCPServer,
    fn: Callable[..., Any],
    *,
    title: str,
    meta: dict[str, Any],
    read_only: bool,
    destructive: bool,
    idempotent: bool,
    open_world: bool,
) -> None:
    """Register ``fn`` as a tool; ``meta`` carries ``mctltg/scope`` when a scope is needed."""
    server.add_tool(
        fn,
        title=title,
        annotations=ToolAnnotations(
            title=title,
            read_only_hint=read_only,
            destructive_hint=destructive,
            idempotent_hint=idempotent,
            open_world_hint=open_world,
        ),
        meta=meta,
    )
