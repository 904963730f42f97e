"""The one path of every tool call: a sandbox server says so on every result, errors included."""

from __future__ import annotations

import pytest
from mcp import Client

from mctltg.app import Services, provision_sandbox_account, tool_deps
from mctltg.sandbox import DemoWorld
from mctltg.tools import TOOLS, ToolDeps, build_mcp_server

CALLS = [
    ("list_dialogs", {}),  # ok
    ("get_messages", {"peer": "nobody at all"}),  # invalid_input from the tool
    ("get_messages", {"peer": "me", "limit": "ten"}),  # invalid_input from the SDK's argument check
    ("mark_read", {"peer": "me"}),  # permission_denied: ALLOW_MARK_READ is off
]


@pytest.mark.parametrize(("tool", "arguments"), CALLS)
@pytest.mark.parametrize("sandbox", [True, False])
async def test_every_result_of_a_sandbox_server_is_marked_and_no_other_servers_are(
    services: Services, demo: DemoWorld, tool: str, arguments: dict[str, object], sandbox: bool
) -> None:
    await provision_sandbox_account(services, telegram_user_id=demo.me)
    deps = ToolDeps(directory=services.directory, operator_mode=True, sandbox=sandbox, allow_send=False)
    async with Client(build_mcp_server(deps)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.structured_content is not None
    assert result.structured_content.get("sandbox") is (True if sandbox else None)


async def test_a_caller_without_an_account_gets_a_marked_error(services: Services) -> None:
    deps = ToolDeps(directory=services.directory, operator_mode=True, sandbox=True, allow_send=False)
    async with Client(build_mcp_server(deps)) as client:
        result = await client.call_tool("get_unread_messages", {})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["error"] == "no_account"
    assert result.structured_content["sandbox"] is True


async def test_every_telegram_tool_takes_an_optional_account_and_no_admin_tool_does(
    services: Services,
) -> None:
    async with Client(build_mcp_server(tool_deps(services))) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    telegram = {d.name for d in TOOLS if (d.scope or "").startswith("telegram:") and d.name in tools}
    for name in telegram | {"get_my_send_status", "set_send_consent", "disconnect_telegram_account"}:
        schema = tools[name].input_schema
        assert schema["properties"]["account"] == {"type": "string"}, name
        assert "account" not in schema.get("required", []), name
    assert "account" not in tools["set_telegram_access"].input_schema["properties"]
    assert "account" not in tools["get_my_audit_log"].input_schema["properties"]
    assert len(telegram) >= 20
