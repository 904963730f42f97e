"""Helpers for the read-tool tests: an MCP client over a provisioned sandbox account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client

from mctltg.app import Services, provision_sandbox_account
from mctltg.tools import ToolDeps, build_mcp_server


@asynccontextmanager
async def tools_for(
    services: Services, user_id: int, *, allow_mark_read: bool = False
) -> AsyncIterator[Client]:
    """An in-process MCP client whose operator identity is logged in as ``user_id``."""
    await provision_sandbox_account(services, telegram_user_id=user_id)
    deps = ToolDeps(
        directory=services.directory,
        operator_mode=True,
        sandbox=True,
        allow_send=False,
        allow_mark_read=allow_mark_read,
    )
    async with Client(build_mcp_server(deps)) as client:
        yield client


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; its structured content."""
    result = await client.call_tool(tool, arguments)
    assert result.structured_content is not None
    assert not result.is_error, result.structured_content
    return result.structured_content


async def error_of(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must fail; its structured error."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.structured_content is not None
    return result.structured_content


def unwrap(text: str) -> str:
    """The message text inside its ``<msg-NONCE>`` wrapper."""
    assert text.startswith("<msg-")
    assert text.endswith(">")
    opening = text.index(">") + 1
    closing = text.rindex("</msg-")
    return text[opening:closing]
