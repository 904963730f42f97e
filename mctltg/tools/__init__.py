"""MCP tools: each one top-level function declared with ``@tool`` (``declare.py``), all of
them listed in ``registry.TOOLS`` and served by ``build_mcp_server``."""

from __future__ import annotations

from mctltg.oauth.scopes import SCOPES
from mctltg.tools.context import Caller, ToolContext, ToolDeps
from mctltg.tools.declare import DeclaredTool, Hints, tool
from mctltg.tools.registry import TOOLS, build_mcp_server

__all__ = [
    "SCOPES",
    "TOOLS",
    "Caller",
    "DeclaredTool",
    "Hints",
    "ToolContext",
    "ToolDeps",
    "build_mcp_server",
    "tool",
]
